// Proves the TraceQL parser reads what Grafana's search builder emits into the typed AST (spansets with && and ||, scopes, intrinsics in both spellings, every operator, every literal, parenthesised groups), and refuses everything else with ERR_INVALID_ARGUMENT naming the construct and where it is; and that no input, however mangled, gets any other error.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TRACEQL_NESTING_MAX, TRACEQL_QUERY_CHARS_MAX } from '../../src/constants.js';
import { TraceKvError } from '../../src/errors.js';
import { parseTraceQl, type Comparison, type Condition, type SpansetExpression } from '../../src/traceql/index.js';

/** The one comparison of a one-spanset query. */
function comparison(query: string): Comparison {
  const parsed = parseTraceQl(query);
  if (parsed.type !== 'spanset' || parsed.condition?.type !== 'compare') throw new Error(`not one comparison: ${JSON.stringify(parsed)}`);
  return parsed.condition;
}

function refusal(query: string): TraceKvError {
  try {
    parseTraceQl(query);
  } catch (error) {
    expect(error).toBeInstanceOf(TraceKvError);
    expect((error as TraceKvError).code).toBe('ERR_INVALID_ARGUMENT');
    return error as TraceKvError;
  }
  throw new Error(`parsed: ${query}`);
}

/** The AST without regexes (compared by source separately), for toEqual. */
function shape(expression: SpansetExpression | Condition | null): unknown {
  return JSON.parse(JSON.stringify(expression, (key, value) => (key === 'regex' ? String(value) : value)));
}

describe('parseTraceQl: what the subset takes', () => {
  it('reads the empty query {} as "every trace"', () => {
    expect(parseTraceQl('{}')).toEqual({ type: 'spanset', condition: null });
    expect(parseTraceQl('  {  }  ')).toEqual({ type: 'spanset', condition: null });
  });

  it('reads the three attribute scopes, keeping dots in names, and quoted names', () => {
    expect(comparison('{ resource.service.name = "checkout" }')).toEqual({
      type: 'compare',
      field: { type: 'attribute', scope: 'resource', name: 'service.name' },
      operator: '=',
      value: { type: 'string', value: 'checkout' },
    });
    expect(comparison('{span.http.status_code>=500}').field).toEqual({ type: 'attribute', scope: 'span', name: 'http.status_code' });
    expect(comparison('{ .db.system = "redis" }').field).toEqual({ type: 'attribute', scope: 'any', name: 'db.system' });
    expect(comparison('{ span."my attr" = "x" }').field).toEqual({ type: 'attribute', scope: 'span', name: 'my attr' });
    expect(comparison('{ .k8s-pod/name = "x" }').field).toEqual({ type: 'attribute', scope: 'any', name: 'k8s-pod/name' });
  });

  it('reads the intrinsics, unscoped and in the scoped spelling', () => {
    const pairs: [string, string, string][] = [
      ['name', 'span:name', '"GET /"'],
      ['status', 'span:status', 'error'],
      ['duration', 'span:duration', '100ms'],
      ['kind', 'span:kind', 'server'],
      ['rootServiceName', 'trace:rootService', '"frontend"'],
      ['rootName', 'trace:rootName', '"GET /"'],
      ['traceDuration', 'trace:duration', '1.5s'],
    ];
    for (const [unscoped, scoped, value] of pairs) {
      expect(comparison(`{ ${unscoped} = ${value} }`).field).toEqual({ type: 'intrinsic', name: unscoped });
      expect(comparison(`{ ${scoped} = ${value} }`).field).toEqual({ type: 'intrinsic', name: unscoped });
    }
  });

  it('reads every operator and every literal type', () => {
    for (const op of ['=', '!=', '>', '>=', '<', '<=']) expect(comparison(`{ duration ${op} 5us }`).operator).toBe(op);
    expect(comparison('{ .a = "q\\"uote\\\\ \\n" }').value).toEqual({ type: 'string', value: 'q"uote\\ \n' });
    expect(comparison('{ .a = `raw\\n` }').value).toEqual({ type: 'string', value: 'raw\\n' });
    expect(comparison('{ .a = 200 }').value).toEqual({ type: 'number', value: 200 });
    expect(comparison('{ .a = 2.5 }').value).toEqual({ type: 'number', value: 2.5 });
    expect(comparison('{ .a = true }').value).toEqual({ type: 'bool', value: true });
    expect(comparison('{ .a != false }').value).toEqual({ type: 'bool', value: false });
    const durations: [string, number][] = [['7ns', 7], ['3us', 3e3], ['3µs', 3e3], ['100ms', 1e8], ['1.5s', 1.5e9], ['2m', 120e9], ['1h', 3600e9]];
    for (const [text, nanos] of durations) expect(comparison(`{ duration > ${text} }`).value).toEqual({ type: 'duration', nanos });
    for (const status of ['error', 'ok', 'unset']) expect(comparison(`{ status = ${status} }`).value).toEqual({ type: 'status', value: status });
    for (const kind of ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer']) expect(comparison(`{ kind != ${kind} }`).value).toEqual({ type: 'kind', value: kind });
  });

  it('anchors regular expressions at both ends, as Tempo does', () => {
    const match = comparison('{ name =~ "GET .*" }');
    expect(match.regex!.test('GET /cart')).toBe(true);
    expect(match.regex!.test('xGET /cart')).toBe(false);
    const alternation = comparison('{ resource.service.name !~ "a|b" }').regex!;
    expect(['a', 'b', 'ab'].map((s) => alternation.test(s))).toEqual([true, true, false]);
  });

  it('gives && precedence over ||, in spansets and inside one, and keeps brackets', () => {
    expect(shape(parseTraceQl('{ .a = 1 || .b = 2 && .c = 3 }'))).toEqual({
      type: 'spanset',
      condition: {
        type: 'or',
        left: { type: 'compare', field: { type: 'attribute', scope: 'any', name: 'a' }, operator: '=', value: { type: 'number', value: 1 } },
        right: {
          type: 'and',
          left: { type: 'compare', field: { type: 'attribute', scope: 'any', name: 'b' }, operator: '=', value: { type: 'number', value: 2 } },
          right: { type: 'compare', field: { type: 'attribute', scope: 'any', name: 'c' }, operator: '=', value: { type: 'number', value: 3 } },
        },
      },
    });
    const grouped = parseTraceQl('{ (span.a = "x" || span.a = "y") && status = error }');
    expect(grouped.type === 'spanset' && grouped.condition?.type).toBe('and');
    const spansets = parseTraceQl('{ .a = 1 } || { .b = 2 } && { .c = 3 }');
    expect(spansets.type).toBe('or');
    expect(spansets.type === 'or' && spansets.right.type).toBe('and');
    expect(parseTraceQl('({ .a = 1 } || { .b = 2 }) && {}').type).toBe('and');
  });

  it("reads the queries Grafana's search builder writes", () => {
    const queries = [
      '{resource.service.name="checkout" && span.http.status_code=500 && duration>500us}',
      '{resource.service.name="checkout" && name="HTTP GET" && status=error}',
      '{(span.http.request.method="GET" || span.http.request.method="POST") && kind=server}',
      '{.db.system=~"mysql|postgresql"} && {resource.service.name!="frontend"}',
      '{span.http.route="/api/cart" && duration>=1.2s && duration<=10s}',
      '{ trace:rootService = "frontend" && trace:duration > 2s }',
    ];
    for (const query of queries) expect(() => parseTraceQl(query), query).not.toThrow();
  });
});

describe('parseTraceQl: what it refuses, and says so', () => {
  const cases: [string, RegExp][] = [
    ['{ .a = 1 } | count() > 2', /pipelines \(\|\)/],
    ['{ .a = 1 } >> { .b = 2 }', /structural operator >>/],
    ['{ .a = 1 } << { .b = 2 }', /structural operator <</],
    ['{ .a = 1 } ~ { .b = 2 }', /structural operator ~/],
    ['{ .a = 1 } > { .b = 2 }', /got ">" after a spanset/],
    ['{ !(.a = 1) }', /negation \(!\)/],
    ['{ .a + 1 = 2 }', /arithmetic \(\+\)/],
    ['{ .a = -1 }', /negative number or arithmetic/],
    ['{ .a = .b }', /comparing with ".b"/],
    ['{ parent.a = 1 }', /the parent scope is not searchable/],
    ['{ event.name = "x" }', /the event scope/],
    ['{ span:id = "x" }', /the span scope/],
    ['{ statusMessage = "x" }', /unsupported intrinsic "statusMessage"/],
    ['{ count() > 1 }', /aggregate count\(\)/],
    ['{ status = "error" }', /status compares with a status; got a string/],
    ['{ status > error }', /status takes = !=; got >/],
    ['{ duration = "1s" }', /duration compares with a duration; got a string/],
    ['{ duration =~ "1s" }', /duration compares with a duration; got a string/],
    ['{ name > "a" }', /name takes = != =~ !~; got >/],
    ['{ kind = error }', /kind compares with a kind; got a status/],
    ['{ .a = error }', /an attribute compares with a string, number, duration or true\/false; got the status "error"/],
    ['{ .a > true }', /true\/false takes = or !=/],
    ['{ .a =~ 5 }', /=~ takes a string/],
    ['{ .a =~ "(?=x)" }', /lookaround/],
    ['{ .a =~ "(a)\\\\1" }', /backreferences/],
    ['{ .a =~ "(" }', /does not compile/],
    ['{ .a = 5x }', /durations take ns, us, ms, s, m or h/],
    ['{ .a = "open', /no closing quote/],
    ['{ .a = "\\q" }', /unsupported escape/],
    ['{ .a = 1', /got the end of the query where \{ at 0 closes/],
    ['{ .a = 1 } {', /got "\{" after a spanset/],
    ['{ .a 1 }', /got "1" after a field/],
    ['{ .a = }', /got "}" where a value starts/],
    ['', /got the end of the query where a spanset starts/],
    ['.a = 1', /got ".a" where a spanset starts/],
    ['{ .a = 1 } &&', /got the end of the query where a spanset starts/],
    ['{ .a = 1 # }', /unexpected character "#"/],
  ];
  for (const [query, message] of cases) {
    it(`refuses ${JSON.stringify(query)}`, () => {
      const error = refusal(query);
      expect(error.message).toMatch(/^TraceQL at \d+: /);
      expect(error.message).toMatch(message);
      expect(error.offset).toBeGreaterThanOrEqual(0);
      expect(error.offset).toBeLessThanOrEqual(query.length);
    });
  }

  it('names where the problem is', () => {
    expect(refusal('{ .a = 1 } | count()').offset).toBe(11);
    expect(refusal('{ status = "error" }').offset).toBe(11);
  });

  it('bounds the query length and the nesting depth', () => {
    expect(refusal(`{ .a = "${'x'.repeat(TRACEQL_QUERY_CHARS_MAX)}" }`).message).toMatch(/TRACEQL_QUERY_CHARS_MAX/);
    const deep = (n: number) => `{ ${'('.repeat(n)}.a = 1${')'.repeat(n)} }`;
    expect(() => parseTraceQl(deep(TRACEQL_NESTING_MAX - 1))).not.toThrow();
    expect(refusal(deep(TRACEQL_NESTING_MAX + 1)).message).toMatch(/TRACEQL_NESTING_MAX/);
  });

  it('answers any input with a parse or ERR_INVALID_ARGUMENT, nothing else', () => {
    const pieces = ['{', '}', '(', ')', '&&', '||', '=', '!=', '>', '=~', '|', '>>', '!', '.a', 'span.b', 'resource.c', 'name', 'status', 'duration', 'error', 'server', '"s"', '`r`', '1', '2.5', '10ms', 'true', ' ', '-', 'count', '"'];
    fc.assert(
      fc.property(fc.oneof(fc.array(fc.constantFrom(...pieces), { maxLength: 30 }).map((parts) => parts.join(' ')), fc.string({ maxLength: 60 })), (query) => {
        try {
          parseTraceQl(query);
        } catch (error) {
          expect(error).toBeInstanceOf(TraceKvError);
          expect((error as TraceKvError).code).toBe('ERR_INVALID_ARGUMENT');
        }
      }),
      { seed: 20_261_205, numRuns: 3_000 },
    );
  });
});
