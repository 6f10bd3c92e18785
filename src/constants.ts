/**
 * Every format number and every limit, each with the reason for its value.
 * Byte layouts themselves are specified in data-format.md; section numbers below point there.
 */

// ---------------------------------------------------------------------------------------------
// Client batch (data-format.md §2)
// ---------------------------------------------------------------------------------------------

/** "TKVB" read as a little-endian u32. A batch starts with these four bytes. */
export const BATCH_MAGIC = 0x42564b54;
/** "TKVE" read as a little-endian u32. The last four bytes of a batch; catches truncation cheaply. */
export const BATCH_END_MAGIC = 0x45564b54;
export const BATCH_FORMAT_VERSION = 1;
/** magic 4 + version 2 + flags 2 + spanCount 4 + 3 section lengths 12 + min/max start 16 + headerCrc 4 + reserved 4. */
export const BATCH_HEADER_BYTES = 48;
/** crc32c 4 + end magic 4. */
export const BATCH_FOOTER_BYTES = 8;
/** traceId 16 + spanId 8 + offset 4 + length 4 + startTimeUnixNano 8. */
export const TRAILER_ENTRY_BYTES = 40;
export const TRACE_ID_BYTES = 16;
export const SPAN_ID_BYTES = 8;

/**
 * Hard ceiling for `batchBytesMax`. A batch is held in memory whole at every stage (client buffer,
 * compression input, decompressed read cache), and its offsets are u32. 64 MiB keeps one batch far
 * below a worker's heap while leaving room for very large proxies' batches.
 */
export const BATCH_BYTES_LIMIT = 64 * 1024 * 1024;
/**
 * Default `batchBytesMax`. A read decompresses the whole record that holds a span, so the batch
 * size bounds read latency: 8 MiB decompresses in a few ms; clients should aim for 256 KiB–1 MiB.
 */
export const BATCH_BYTES_MAX_DEFAULT = 8 * 1024 * 1024;
/** Hard ceiling for `batchSpansMax`: index entries count a trace's spans in a record as u16. */
export const BATCH_SPANS_LIMIT = 65_535;
export const BATCH_SPANS_MAX_DEFAULT = 65_535;
/**
 * The smallest batch the format allows: header, a 1-byte common section (an empty msgpack array),
 * one 1-byte span record, one trailer entry and the footer. A smaller batchBytesMax holds no span.
 */
export const BATCH_BYTES_MIN = BATCH_HEADER_BYTES + 1 + 1 + TRAILER_ENTRY_BYTES + BATCH_FOOTER_BYTES;
/**
 * Deepest nesting of arrays and maps inside one attribute value. It bounds recursion on encode and
 * decode, so a cyclic object or a deeply nested corrupt record fails cleanly instead of overflowing
 * the stack; OTLP's protobuf decoders stop at 100 levels for the whole message.
 */
export const ATTRIBUTE_NESTING_MAX = 64;

/**
 * Messages in an OTLP request above the first attribute value: the request, ResourceSpans,
 * ScopeSpans, Span, Event or Link, KeyValue, AnyValue.
 */
export const OTLP_MESSAGE_DEPTH_FIXED = 7;
/**
 * Deepest nesting of embedded messages the protobuf reader follows. Each attribute nesting level
 * is two messages (AnyValue → ArrayValue or KeyValueList → AnyValue), so this admits every value
 * the batch format can store and refuses a deeper request cleanly instead of recursing on it.
 */
export const PROTOBUF_NESTING_DEPTH_MAX = OTLP_MESSAGE_DEPTH_FIXED + 2 * ATTRIBUTE_NESTING_MAX;
/** A common section or span record larger than this is surely a caller bug, not a trace. */
export const SPAN_RECORD_BYTES_MAX = 16 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Segment files (data-format.md §3)
// ---------------------------------------------------------------------------------------------

/** "TKVS": segment file header magic. */
export const SEGMENT_MAGIC = 0x53564b54;
/** "TKVR": record header magic. Recovery scans for it to tell a torn tail from mid-file damage. */
export const RECORD_MAGIC = 0x52564b54;
export const SEGMENT_FORMAT_VERSION = 1;
export const RECORD_FORMAT_VERSION = 1;
/** magic 4 + version 2 + flags 2 + generationId 4 + segmentId 4 + createdAtMs 8 + reserved 4 + headerCrc 4. */
export const SEGMENT_HEADER_BYTES = 32;
/** magic 4 + version 1 + codec 1 + flags 2 + bodyLength 4 + rawLength 4 + spanCount 4 + bodyCrc 4 + min/max start 16 + reserved 4 + headerCrc 4. */
export const RECORD_HEADER_BYTES = 48;
export const CODEC_NONE = 0;
export const CODEC_ZSTD = 1;

/**
 * Largest body a record may hold: a 64 MiB batch plus room for zstd's frame and block headers when
 * the batch does not compress (~3 B per 128 KiB block, so ~1.5 KiB at 64 MiB). §3.2 fixes the value.
 */
export const RECORD_BODY_BYTES_MAX = BATCH_BYTES_LIMIT + 64 * 1024;
/** Index entries, chunk coverage and chunk partition tables hold file offsets as u32 (§4.2, §4.3). */
export const FILE_OFFSET_MAX = 0xffff_ffff;
/**
 * Window for recovery's byte-by-byte search after damage. 1 MiB amortizes the pread cost (~1 ms
 * per window at page-cache speed) while staying negligible next to one record buffer.
 */
export const SCAN_WINDOW_BYTES = 1024 * 1024;
/** Index entries hold a record's file offset as u32, so no segment may reach 4 GiB. */
export const SEGMENT_BYTES_LIMIT = 2 * 1024 * 1024 * 1024;
/** Small enough that a segment is a cheap unit to verify, copy or quarantine; large enough to keep file counts low. */
export const SEGMENT_BYTES_MAX_DEFAULT = 256 * 1024 * 1024;
/** Tests roll segments after a few records; below this a segment could not hold its header and one record. */
export const SEGMENT_BYTES_MAX_MIN = 4096;

// ---------------------------------------------------------------------------------------------
// Index (data-format.md §4)
// ---------------------------------------------------------------------------------------------

/** "TKVI": index chunk file magic. */
export const CHUNK_MAGIC = 0x49564b54;
export const CHUNK_FORMAT_VERSION = 1;
/** See data-format.md §4.2 for the field list. */
export const CHUNK_HEADER_BYTES = 64;
/** entryCount 4 + bucketCount 4 + filterBlockCount 4 + residentOffset 4 + entriesOffset 4 + reserved 4 + min/max start 16. */
export const CHUNK_PARTITION_ENTRY_BYTES = 40;
/** traceId 16 + segmentId 4 + fileOffset 4 + recordLength 4 + spanCount 2 + flags 2. */
export const INDEX_ENTRY_BYTES = 32;
/** Split-block Bloom filter block: 8 words of 32 bits; one probe touches one cache line. */
export const FILTER_BLOCK_BYTES = 32;
/** ~10 bits per entry gives a ~1% false-positive rate with 8 bits set per key. */
export const FILTER_BITS_PER_ENTRY = 10;
/** Target entries per bucket: one bucket read is ~256 B, and the directory costs ~0.5 B per entry. */
export const BUCKET_ENTRIES_TARGET = 8;

export const PARTITIONS_DEFAULT = 256;
/** The partition table of every chunk file has one row per partition; 65,536 rows is 2.5 MiB, the most we accept. */
export const PARTITIONS_MAX = 65_536;
/**
 * Entries held in the in-memory tail before it is sealed into a chunk file. 262,144 entries is
 * 8 MiB of entries plus its hash table, and at ~10 spans per entry about 2.6M spans per chunk file.
 */
export const INDEX_FLUSH_ENTRIES_DEFAULT = 262_144;
/** Lower bound for tests that want many chunk files. */
export const INDEX_FLUSH_ENTRIES_MIN = 16;
/** Upper bound: the tail's hash table uses Int32 slots and must stay far from typed-array limits. */
export const INDEX_FLUSH_ENTRIES_MAX = 16_777_216;

// ---------------------------------------------------------------------------------------------
// Generations and store (data-format.md §5)
// ---------------------------------------------------------------------------------------------

/** "TKVD": store marker magic; a directory without it is not adopted as a store. */
export const STORE_MARKER_MAGIC = 0x44564b54;
export const STORE_FORMAT_VERSION = 1;
/** magic 4 + version 2 + flags 2 + reserved 4 + headerCrc 4. */
export const STORE_MARKER_BYTES = 16;

/** "TKVG": generation metadata file magic. */
export const GENERATION_MAGIC = 0x47564b54;
export const GENERATION_FORMAT_VERSION = 1;
/** See data-format.md §5.2. */
export const GENERATION_META_BYTES = 48;
/** One hour, like Tempo blocks: retention drops whole hours, and time-bounded reads skip them. */
export const GENERATION_HOURS_DEFAULT = 1;
/** A generation also rolls at this size so that a burst does not make one huge unit of retention. */
export const GENERATION_BYTES_MAX_DEFAULT = 64 * 1024 * 1024 * 1024;
/** 0 means keep forever. */
export const RETENTION_HOURS_DEFAULT = 0;
/** How often an open store checks for expired generations. */
export const RETENTION_CHECK_INTERVAL_MS = 60_000;

/**
 * Chosen by measurement (README, "Compression level"; `npm run bench:levels`): on version-2 batches
 * level 3 stores 2% (W1) to 8% (Zipkin replay) fewer bytes than level 1 for 9–18% of ingest rate,
 * and still ingests more than twice the 1.2M spans/s target; level 6 saves little more and costs a third.
 */
export const COMPRESSION_LEVEL_DEFAULT = 3;
export const COMPRESSION_LEVEL_MIN = -7;
export const COMPRESSION_LEVEL_MAX = 22;
/**
 * Compressions in flight at once. Each zstd call costs ~105 µs of fixed overhead on a libuv
 * thread; 4 in flight keeps both cores busy without letting a burst queue unbounded memory.
 */
export const COMPRESSIONS_IN_FLIGHT_MAX = 4;

// ---------------------------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------------------------

/** Decompressed records kept for hot reads: ~250 records of a typical 256 KiB batch. */
export const READ_CACHE_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;
/**
 * A read of at most this many traces adds the records it loads to the read cache; a larger one (a
 * bulk read) takes the cache's hits but adds nothing. The cache is for traces looked up again (a
 * trace opened twice in a UI); 100 random traces in one call would evict that hot set for records
 * unlikely to be read again, and the churn costs: a 100-trace bulk read over HTTP of 10M W1 spans
 * took 35.6 ms without filling against 43.3 ms filling, after 10,000 lookups had filled the cache.
 */
export const READ_CACHE_FILL_TRACES_MAX = 16;
/**
 * Keys a reader's cache remembers of records read once and not kept (record-cache.ts keeps a
 * record on its second read): about twice the records a reader's share of the default cache holds
 * (32 MiB of ~81 KB W1 batches), at ~60 bytes a key.
 */
export const READ_CACHE_OFFERED_KEYS_MAX = 1024;
/** Tempo's default max_bytes_per_trace (5 MB): a trace past it is truncated or rejected. */
export const TRACE_BYTES_MAX_DEFAULT = 5_000_000;
/** Span bytes one bulk call may return; a limit here is a typed error, never an out-of-memory. */
export const REQUEST_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;
/** Ids one getTraces call may ask for; getTracesStream takes any number. */
export const REQUEST_TRACES_MAX_DEFAULT = 10_000;
/**
 * Record loads a reader keeps in flight. Readers decompress batches up to ZSTD_INLINE_RAW_BYTES_MAX
 * inline, one after another; a larger one waits ~105 µs and more for a threadpool thread, and four
 * in flight hide that wait and fill both cores, while holding at most four records of memory.
 */
export const RECORD_LOADS_IN_FLIGHT_MAX = 4;
/**
 * What a batch writer (the v2 encoders and their dictionaries) keeps from one batch to the next:
 * each buffer up to WRITER_RETAINED_BYTES_MAX bytes, and its per-row, per-run and per-string tables
 * up to WRITER_RETAINED_ENTRIES_MAX entries. Past either, a huge batch's are let go at reset: the
 * daemon's transcoders live as long as the daemon, and one 65,536-span request left them ~7 MB.
 */
export const WRITER_RETAINED_BYTES_MAX = 1024 * 1024;
export const WRITER_RETAINED_ENTRIES_MAX = 16_384;
/**
 * Compressed record bodies `tracekv dump` holds per scan slice: a few typical records (≤ 1 MiB
 * each), yet one maximal record (64 MiB) still forms a slice of its own.
 */
export const DUMP_SLICE_BODY_BYTES = 8 * 1024 * 1024;
/** More reader threads than this only adds memory: reads are bound by the cores and the page cache. */
export const READER_THREADS_MAX = 256;
/** Read fds one reader keeps open (LRU); far below the usual 1,024 per-process limit with 2–8 readers. */
export const READER_OPEN_FILES_MAX = 64;
/** Default deadline of one read call. */
export const READ_TIMEOUT_MS_DEFAULT = 30_000;

// ---------------------------------------------------------------------------------------------
// Daemon protocol (data-format.md §6)
// ---------------------------------------------------------------------------------------------

export const PROTOCOL_VERSION = 1;
/** length 4 + opcode 1 + flags 1 + reserved 2 + requestId 4 + headerLength 4. */
export const FRAME_PREFIX_BYTES = 16;
/** A frame's length field counts the 12 fixed bytes after it, so a valid length is at least this. */
export const FRAME_LENGTH_MIN = 12;
/** Largest frame by default: a batch of up to the default batchBytesMax (8 MiB) with room to spare. */
export const FRAME_BYTES_MAX_DEFAULT = 16 * 1024 * 1024;
/** Hard ceiling for frameBytesMax: a frame is buffered whole, and batches stop at 64 MiB. */
export const FRAME_BYTES_LIMIT = BATCH_BYTES_LIMIT + 1024 * 1024;

/** Requests one connection may have in flight before the daemon stops reading from it. */
export const CONNECTION_IN_FLIGHT_REQUESTS_MAX_DEFAULT = 64;
/**
 * Request bytes being served plus response bytes not yet flushed to the socket, over all
 * connections; past it requests get ERR_BUSY (PING and STATS excepted).
 */
export const IN_FLIGHT_BYTES_MAX_DEFAULT = 256 * 1024 * 1024;
/** Open connections; one more is answered with ERR_BUSY and closed. */
export const CONNECTIONS_MAX_DEFAULT = 1024;
/** A connection that must authenticate has this long to send HELLO. */
export const AUTH_DEADLINE_MS_DEFAULT = 2_000;
/** A connection with nothing in flight and no traffic for this long is closed. */
export const IDLE_TIMEOUT_MS_DEFAULT = 5 * 60_000;
/** A client that leaves responses unread for this long (socket buffer full) is cut off. */
export const WRITE_DEADLINE_MS_DEFAULT = 30_000;
/** Response bytes queued for one connection before the daemon stops reading its requests. */
export const PENDING_OUTPUT_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;
/**
 * A frame must be complete this long after its first byte arrived, or the connection is answered
 * ERR_TIMEOUT and closed (data-format.md §6.1). Without it, a client that trickles one byte now
 * and then holds a connection and up to a frame's buffer forever: every byte resets the idle
 * timeout. 10 s lets a 16 MiB frame arrive at 1.6 MB/s, far below any LAN.
 */
export const FRAME_DEADLINE_MS_DEFAULT = 10_000;
/**
 * What the in-flight budget charges a request besides its payload: its decoded header, its
 * promise and closures, and the small buffers of its answer, so that a flood of empty requests
 * is bounded too.
 */
export const REQUEST_OVERHEAD_BYTES = 4096;
/**
 * Shortest retryAfterMs in ERR_BUSY. Appends hold the budget until their group commit (an
 * fdatasync of 1–5 ms on an SSD), so a retry sooner finds the budget as full as it left it.
 */
export const BUSY_RETRY_AFTER_MS_MIN = 2;
/**
 * Longest retryAfterMs in ERR_BUSY, however long the queue. A client that waits longer than it
 * had to leaves the daemon idle, and one with a few senders (an exporter's consumers) sleeps in
 * all of them at once; 1 s spreads retries well past a burst while a stale queue costs at most 1 s.
 */
export const BUSY_RETRY_AFTER_MS_MAX = 1_000;
/**
 * Until the daemon has measured how fast its budget drains, it assumes a whole budget drains in
 * this long: about one group commit and a bit (the fixed retryAfterMs of old).
 */
export const BUSY_DRAIN_MS_PRIOR = 50;
/**
 * Busy time over which one drain-rate sample is taken: several group commits, so one slow
 * fdatasync does not swing the estimate, yet short enough to follow a change of load at once.
 */
export const BUSY_DRAIN_SAMPLE_MS = 20;
/** Weight of a new drain-rate sample in the moving average: the last ~4 samples (~80 ms busy) dominate. */
export const BUSY_DRAIN_SAMPLE_WEIGHT = 0.25;
/** A streamed GET_TRACES response is cut into frames of about this many bytes. */
export const STREAM_FRAME_BYTES_TARGET = 1024 * 1024;
export const DAEMON_PORT_DEFAULT = 7070;
export const DAEMON_HOST_DEFAULT = '127.0.0.1';
export const DAEMON_DIR_DEFAULT = './data';

// ---------------------------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------------------------

/**
 * Requests one connection carries before their responses arrive (data-format.md §6: "up to 64").
 * Enough to hide a LAN round trip behind ~64 small reads; more would only grow the daemon's
 * per-connection buffers. Further calls wait, first come first served.
 */
export const CLIENT_REQUESTS_IN_FLIGHT_MAX = CONNECTION_IN_FLIGHT_REQUESTS_MAX_DEFAULT;

/** The client connects where the daemon listens by default. */
export const CLIENT_HOST_DEFAULT = DAEMON_HOST_DEFAULT;
/** Same as the embedded store's read deadline, so a call has the same budget locally and remotely. */
export const REQUEST_TIMEOUT_MS_DEFAULT = READ_TIMEOUT_MS_DEFAULT;
/** TCP connect, TLS handshake and HELLO together; a daemon on a LAN answers all three in a few ms. */
export const CONNECT_TIMEOUT_MS_DEFAULT = 5_000;
/** 4 retries with a 50 ms base span ~0.75 s of backoff: rides out a daemon restart or a busy burst. */
export const RETRIES_MAX_DEFAULT = 4;
export const RETRY_BASE_MS_DEFAULT = 50;
/** No single backoff sleeps longer than this, however many attempts came before. */
export const RETRY_CAP_MS_DEFAULT = 5_000;

/** A deadline past a day is surely a unit mistake (seconds for ms); setTimeout also caps at ~24.8 days. */
export const TIMEOUT_MS_LIMIT = 24 * 3_600_000;
/** More retries than this only hides an outage: at the default cap it is already minutes of waiting. */
export const RETRIES_LIMIT = 100;
/** Longest backoff base or cap accepted; anything above a minute belongs to the caller's own retry logic. */
export const RETRY_DELAY_MS_LIMIT = 60_000;
/**
 * Smallest frameBytesMax a client accepts: ERROR, HELLO and STATS replies are a few KiB, so a
 * limit under 64 KiB would make the client unable to read ordinary answers.
 */
export const CLIENT_FRAME_BYTES_MIN = 64 * 1024;
/** TCP keepalive probes start after this much idle time, so a peer that vanished is noticed without a request. */
export const SOCKET_KEEPALIVE_DELAY_MS = 15_000;

/** Nanoseconds are u64 on disk. */
export const UNIX_NANO_MAX = (1n << 64n) - 1n;

// ---------------------------------------------------------------------------------------------
// OTLP receivers (issue 13; data-format.md §7)
// ---------------------------------------------------------------------------------------------

/** OTLP/HTTP's port in the OTLP specification: SDKs and Collectors send there unless told otherwise. */
export const OTLP_HTTP_PORT_DEFAULT = 4318;
/** OTLP/gRPC's port in the OTLP specification. */
export const OTLP_GRPC_PORT_DEFAULT = 4317;
/** The query server's port (data-format.md §8): Tempo's HTTP port, where Grafana's Tempo data source looks. */
export const QUERY_PORT_DEFAULT = 3200;
/** The Jaeger query API's port (data-format.md §8.5): Jaeger's, where the Jaeger UI's query service listens. It has a port of its own because its /api/traces/<id> is not Tempo's. */
export const JAEGER_PORT_DEFAULT = 16686;
/** How long a query client may take to send its request headers, and its whole request (a GET has no body to wait for). */
export const QUERY_HEADERS_TIMEOUT_MS = 10_000;
export const QUERY_REQUEST_TIMEOUT_MS = 60_000;
/**
 * Largest body of the query server's bulk read (`POST /api/v2/traces:batch`): room for the ids of
 * requestTracesMax's default (10,000 × 35 bytes as JSON strings) with slack, and small enough that
 * parsing it is no burden; the ids, not the body, are the real bound.
 */
export const QUERY_BATCH_BODY_BYTES_MAX = 1024 * 1024;
/** The one OTLP/HTTP path for traces (OTLP specification, "OTLP/HTTP Request"). */
export const OTLP_HTTP_TRACES_PATH = '/v1/traces';
/** The one OTLP/gRPC method for traces: service opentelemetry.proto.collector.trace.v1.TraceService, method Export. */
export const OTLP_GRPC_EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
/**
 * Largest OTLP request body, counted on the wire and again after gunzip (so a gzip bomb stops at
 * this many decompressed bytes). The body is held whole while it is transcoded: 64 MiB is 16× the
 * Collector's default gRPC receive limit (4 MiB), room for any exporter's batch, and bounded.
 */
export const OTLP_REQUEST_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;
/** Ceiling of otlpRequestBytesMax: one body is one Buffer, and 1 GiB per request is already a memory hazard. */
export const OTLP_REQUEST_BYTES_LIMIT = 1024 * 1024 * 1024;
/** An OTLP/HTTP client has this long to send its request headers: they are a few hundred bytes. */
export const OTLP_HTTP_HEADERS_TIMEOUT_MS = 10_000;
/**
 * An OTLP/HTTP request must be received whole within this long, so a client trickling bytes cannot
 * hold a socket and a body buffer forever: a 64 MiB body at 1.1 MB/s, far below any LAN.
 * (Node checks it every few seconds, so it is a bound, not a precise deadline.)
 */
export const OTLP_HTTP_REQUEST_TIMEOUT_MS = 60_000;
/**
 * HTTP/2 flow-control windows of the OTLP/gRPC receiver. The protocol's default, 64 KiB for a
 * connection and for each stream, lets a client send 64 KiB and then wait for the daemon's event
 * loop to grant more: a 1,000-span request (~310 KiB) waits five times, and while the loop
 * transcodes another request every stream of the connection waits. Measured on W1: gRPC reached
 * 0.6 of OTLP/HTTP's spans/s with the daemon's thread idle a quarter of the time, and 0.8 with
 * these windows. The windows bound only how far a client may run ahead; grpc-js reads each message
 * whole before our handler sees it either way, under grpc.max_receive_message_length.
 */
export const OTLP_GRPC_CONNECTION_WINDOW_BYTES = 16 * 1024 * 1024;
export const OTLP_GRPC_STREAM_WINDOW_BYTES = 4 * 1024 * 1024;
/** Gunzip output chunk: 64 KiB (zlib's default is 16 KiB) means 4× fewer chunks to count and join. */
export const OTLP_GUNZIP_CHUNK_BYTES = 64 * 1024;
/**
 * An OTLP request body smaller than this is transcoded on the daemon's thread: a worker round trip
 * costs ~125 µs, more than transcoding ~50 spans takes.
 */
export const OTLP_TRANSCODE_INLINE_BYTES_MAX = 16 * 1024;
/** Most OTLP transcoding worker threads a daemon may be given. */
export const OTLP_TRANSCODE_THREADS_LIMIT = 64;

/**
 * V8's old-generation allocation limit at startup, in MiB, set by the flags the daemon is launched
 * with (DAEMON_NODE_FLAGS). V8 sizes that limit from the live heap, and the daemon's is small
 * (~10 MB: spans live in Buffers, not JS objects), so the limit sat 10–15 MB above it, and V8
 * began incremental marking with that much room still left (--trace-incremental-marking: "Start
 * (allocation limit) 10MB / 20MB"): under OTLP ingest it marked and compacted 15–20 times a second
 * (43 major GCs in 2.4 s, --trace-gc). Configured, the limit does not fall below this floor:
 * 3–4 major GCs in the same run, and OTLP/HTTP went from 430k to 500k spans/s (same run,
 * alternating). The cost is old-space garbage kept up to this size between collections; peak RSS
 * moved by less than the run-to-run noise (140–148 MB either way). Not settable at run time (V8
 * configures the heap before any JavaScript runs, and Node refuses it in NODE_OPTIONS): it is a
 * launch flag, in the `tracekv` executable's `#!` line and `npm start`.
 */
export const DAEMON_INITIAL_OLD_SPACE_MIB = 64;
/** The node flags `tracekv` and `npm start` run with (see DAEMON_INITIAL_OLD_SPACE_MIB). */
export const DAEMON_NODE_FLAGS: readonly string[] = [`--initial-old-space-size=${DAEMON_INITIAL_OLD_SPACE_MIB}`];

/**
 * The longest TraceQL query the search takes, in UTF-16 units. Grafana's builder writes a few
 * hundred; the bound keeps a hostile query from costing more than a parse of this size.
 */
export const TRACEQL_QUERY_CHARS_MAX = 16 * 1024;
/** Brackets nested in a TraceQL query, at most: the parser recurses once per level. */
export const TRACEQL_NESTING_MAX = 64;

/** Traces a search returns when the request names no limit: Grafana's default (Tempo's is the same). */
export const SEARCH_LIMIT_DEFAULT = 20;
/** Traces one search may return, at most: a search answers a UI, and each result costs a read. */
export const SEARCH_LIMIT_MAX = 10_000;
/** Matching spans a search returns per spanset when the request names no `spss`: Grafana's default. */
export const SEARCH_SPANS_PER_SPANSET_DEFAULT = 3;
/** Matching spans per spanset, at most. */
export const SEARCH_SPANS_PER_SPANSET_MAX = 1_000;
