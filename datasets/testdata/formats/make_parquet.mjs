// Writes the Parquet fixtures of datasets/formats_test.go with an
// independent Parquet implementation: the Rust parquet crate (arrow-rs)
// compiled to WebAssembly, from npm. pyarrow, which pandas needs to write
// Parquet, is not packaged for this Debian.
//
//   npm install parquet-wasm@0.8.0 apache-arrow@21.2.0
//   node make_parquet.mjs      (from this directory, with node_modules on the path)
//
// Each data file comes with a CSV of the same rows (JavaScript prints the
// shortest decimal that reads back to the same float64), so the Go tests
// compare the Parquet reader with the CSV reader bit for bit.
import { writeFileSync, readFileSync } from "node:fs";
import * as arrow from "apache-arrow";
import * as pq from "parquet-wasm/node";

let seed = 17;
function uniform() {
  // A fixed linear congruential generator: the fixtures do not depend on
  // the JavaScript engine's Math.random.
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
}
const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());

function write(path, columns, props) {
  const table = new arrow.Table(columns);
  const wasm = pq.Table.fromIPCStream(arrow.tableToIPC(table, "stream"));
  writeFileSync(path, pq.writeParquet(wasm, props));
  return table;
}

function csv(path, names, rows) {
  const cell = (v) => (v === null ? "" : String(v));
  writeFileSync(path, [names.join(","), ...rows.map((r) => r.map(cell).join(","))].join("\n") + "\n");
}

// The three streams in one file, rows interleaved: pairs, sources (every y
// null) and targets (every x null), with x and y columns of four numeric
// types, an id and a dictionary-encoded text column the readers must skip.
const n = 30;
const kinds = Array.from({ length: n }, (_, i) => ["pair", "pair", "source", "pair", "target"][i % 5]);
const x1 = [], x2 = [], y1 = [], y2 = [], id = [], note = [];
for (let i = 0; i < n; i++) {
  const k = kinds[i];
  const hasX = k !== "target", hasY = k !== "source";
  x1.push(hasX ? normal() * 10 ** ((i % 7) - 3) : null);
  x2.push(hasX ? Math.fround(normal()) : null);
  y1.push(hasY ? Math.round(normal() * 1000) : null);
  y2.push(hasY ? BigInt(Math.round(normal() * 1e12)) : null);
  id.push(`row-${i}`);
  note.push(["a", "b", null][i % 3]);
}
const streamColumns = () => ({
  id: arrow.vectorFromArray(id, new arrow.Utf8()),
  x1: arrow.vectorFromArray(x1, new arrow.Float64()),
  x2: arrow.vectorFromArray(x2, new arrow.Float32()),
  note: arrow.vectorFromArray(note, new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32())),
  y1: arrow.vectorFromArray(y1, new arrow.Int32()),
  y2: arrow.vectorFromArray(y2, new arrow.Int64()),
});
const variants = [
  // Small row groups and pages, so that chunks cross both.
  ["streams_snappy_v1.parquet", pq.Compression.SNAPPY, pq.WriterVersion.V1, true, 7],
  ["streams_zstd_v2.parquet", pq.Compression.ZSTD, pq.WriterVersion.V2, false, 1024],
  ["streams_gzip_v1.parquet", pq.Compression.GZIP, pq.WriterVersion.V1, false, 11],
  ["streams_lz4raw_v2.parquet", pq.Compression.LZ4_RAW, pq.WriterVersion.V2, true, 4],
  ["streams_plain.parquet", pq.Compression.UNCOMPRESSED, pq.WriterVersion.V1, false, 30],
];
for (const [path, codec, version, dict, group] of variants) {
  const props = new pq.WriterPropertiesBuilder()
    .setCompression(codec)
    .setWriterVersion(version)
    .setDictionaryEnabled(dict)
    .setMaxRowGroupSize(group)
    .setDataPageSizeLimit(64)
    .setWriteBatchSize(3)
    .build();
  write(path, streamColumns(), props);
}
csv("streams_parquet.csv", ["id", "x1", "x2", "note", "y1", "y2"],
  id.map((_, i) => [id[i], x1[i], x2[i], note[i], y1[i], y2[i]]));

// A classification file: labelled rows, unlabelled rows (null label) and
// label-only rows (every x null).
const lx1 = [], lx2 = [], cls = [];
for (let i = 0; i < 20; i++) {
  const labelOnly = i % 6 === 5;
  lx1.push(labelOnly ? null : normal());
  lx2.push(labelOnly ? null : normal());
  cls.push(i % 4 === 3 && !labelOnly ? null : ["cat", "dog", "owl"][i % 3]);
}
write("labelled.parquet", {
  x1: arrow.vectorFromArray(lx1, new arrow.Float64()),
  x2: arrow.vectorFromArray(lx2, new arrow.Float64()),
  class: arrow.vectorFromArray(cls, new arrow.Utf8()),
}, new pq.WriterPropertiesBuilder().setMaxRowGroupSize(6).build());
csv("labelled.csv", ["x1", "x2", "class"], lx1.map((_, i) => [lx1[i], lx2[i], cls[i]]));

// A table without nulls for the chunked reader, with unsigned and
// narrow integer columns and an integer id; pages of a few values and row
// groups of 13 rows, so that chunks of any size cross both.
const tn = 50, ta = [], tb = [], tc = [], td = [], tid = [];
for (let i = 0; i < tn; i++) {
  ta.push(normal());
  tb.push(Math.fround(normal() * 100));
  tc.push(Math.floor(uniform() * 65536));
  td.push(BigInt(Math.floor(uniform() * 2 ** 53)) * 1024n); // above 2^53: exact in float64 as a multiple of 1024
  tid.push(BigInt(1000 + 7 * i));
}
write("table.parquet", {
  id: arrow.vectorFromArray(tid, new arrow.Int64()),
  a: arrow.vectorFromArray(ta, new arrow.Float64()),
  b: arrow.vectorFromArray(tb, new arrow.Float32()),
  c: arrow.vectorFromArray(tc, new arrow.Uint16()),
  d: arrow.vectorFromArray(td, new arrow.Uint64()),
}, new pq.WriterPropertiesBuilder().setMaxRowGroupSize(13).setDataPageSizeLimit(32).setWriteBatchSize(2).setCompression(pq.Compression.SNAPPY).build());
csv("table.csv", ["id", "a", "b", "c", "d"], ta.map((_, i) => [tid[i], ta[i], tb[i], tc[i], td[i]]));

// Broken files.
const good = [1.5, -2, 3.25, 0, 7, 1e-9];
write("bad_timestamp.parquet", {
  x1: arrow.vectorFromArray(good, new arrow.Float64()),
  when: arrow.vectorFromArray(good.map((_, i) => 1.7e12 + i * 1000), new arrow.TimestampMillisecond()),
});
write("bad_list.parquet", {
  x1: arrow.vectorFromArray(good, new arrow.Float64()),
  xs: arrow.vectorFromArray(good.map((v) => [v, v]), new arrow.List(new arrow.Field("item", new arrow.Float64(), true))),
});
write("bad_string.parquet", {
  x1: arrow.vectorFromArray(good, new arrow.Float64()),
  x2: arrow.vectorFromArray(good.map(String), new arrow.Utf8()),
});
write("bad_nan.parquet", {
  x1: arrow.vectorFromArray(good, new arrow.Float64()),
  x2: arrow.vectorFromArray(good.map((v, i) => (i === 4 ? NaN : v)), new arrow.Float64()), // row 5
}, new pq.WriterPropertiesBuilder().setMaxRowGroupSize(2).build());
const whole = readFileSync("streams_plain.parquet");
writeFileSync("bad_truncated.parquet", whole.subarray(0, Math.floor(whole.length * 0.6)));
