/**
 * Per-partition span start-time ranges of an index tail (the min/max fields of a partition table
 * row, data-format.md §4.3), widened once per new entry. Held as u32 halves and compared as
 * numbers: that is ~2 ns, where comparing a bigint read from a BigUint64Array measured ~45 ns.
 */
const U32_MAX = 0xffff_ffff;

export class PartitionTimeRanges {
  private readonly minHi: Uint32Array;
  private readonly minLo: Uint32Array;
  private readonly maxHi: Uint32Array;
  private readonly maxLo: Uint32Array;
  // The range of the record being added, split once per record by setRecord().
  private recordMinHi = 0;
  private recordMinLo = 0;
  private recordMaxHi = 0;
  private recordMaxLo = 0;

  constructor(partitionCount: number) {
    this.minHi = new Uint32Array(partitionCount).fill(U32_MAX);
    this.minLo = new Uint32Array(partitionCount).fill(U32_MAX);
    this.maxHi = new Uint32Array(partitionCount);
    this.maxLo = new Uint32Array(partitionCount);
  }

  get byteLength(): number {
    return this.minHi.byteLength * 4;
  }

  setRecord(minStartTimeUnixNano: bigint, maxStartTimeUnixNano: bigint): void {
    this.recordMinHi = Number(minStartTimeUnixNano >> 32n);
    this.recordMinLo = Number(minStartTimeUnixNano & 0xffff_ffffn);
    this.recordMaxHi = Number(maxStartTimeUnixNano >> 32n);
    this.recordMaxLo = Number(maxStartTimeUnixNano & 0xffff_ffffn);
  }

  /** Widens partition `p` to include the current record's range. */
  widen(p: number): void {
    const minHi = this.recordMinHi;
    const partitionMinHi = this.minHi[p]!;
    if (minHi < partitionMinHi || (minHi === partitionMinHi && this.recordMinLo < this.minLo[p]!)) {
      this.minHi[p] = minHi;
      this.minLo[p] = this.recordMinLo;
    }
    const maxHi = this.recordMaxHi;
    const partitionMaxHi = this.maxHi[p]!;
    if (maxHi > partitionMaxHi || (maxHi === partitionMaxHi && this.recordMaxLo > this.maxLo[p]!)) {
      this.maxHi[p] = maxHi;
      this.maxLo[p] = this.recordMaxLo;
    }
  }

  /** Per-partition minimums; UNIX_NANO_MAX for a partition never widened. */
  mins(): BigUint64Array {
    return joinHalves(this.minHi, this.minLo);
  }

  /** Per-partition maximums; 0 for a partition never widened. */
  maxes(): BigUint64Array {
    return joinHalves(this.maxHi, this.maxLo);
  }
}

function joinHalves(hi: Uint32Array, lo: Uint32Array): BigUint64Array {
  const joined = new BigUint64Array(hi.length);
  for (let i = 0; i < hi.length; i++) joined[i] = (BigInt(hi[i]!) << 32n) | BigInt(lo[i]!);
  return joined;
}
