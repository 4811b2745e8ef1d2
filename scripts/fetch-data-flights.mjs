// Converts vega-datasets' flights-3m.parquet into a CSV file for Tessera.
//
// Usage: node scripts/fetch-data-flights.mjs NPM_PREFIX INPUT.parquet OUTPUT.csv
//
// NPM_PREFIX is the folder where `npm install --prefix` put hyparquet and
// hyparquet-compressors (scripts/fetch-data does that). The output is written
// row group by row group to OUTPUT.csv.tmp-PID, fsynced, then renamed, so an
// interrupted run never leaves a half-written OUTPUT.csv.
//
// Parquet columns (checked on vega-datasets 3.2.1): date (INT64 TIMESTAMP
// micros, isAdjustedToUTC=false, i.e. local wall-clock time), delay (INT64,
// minutes), distance (INT64, miles), origin, destination (UTF8 airport codes).
// CSV columns: date,month,day_of_month,weekday,hour,distance,origin,
// destination,delay; weekday is 0=Monday..6=Sunday. Nulls become empty fields.

import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import fs from 'node:fs'
import path from 'node:path'

const [npmPrefix, input, output] = process.argv.slice(2)
if (!npmPrefix || !input || !output) {
  console.error('usage: fetch-data-flights.mjs NPM_PREFIX INPUT.parquet OUTPUT.csv')
  process.exit(2)
}

// Resolve the packages from NPM_PREFIX (bare ESM imports would resolve
// relative to this file, which lives outside that node_modules).
const requireFrom = createRequire(path.join(path.resolve(npmPrefix), 'package.json'))
const load = (name) => import(pathToFileURL(requireFrom.resolve(name)).href)
const { asyncBufferFromFile, parquetMetadataAsync, parquetRead } = await load('hyparquet')
const { compressors } = await load('hyparquet-compressors')

const COLUMNS = ['date', 'delay', 'distance', 'origin', 'destination']
const HEADER = 'date,month,day_of_month,weekday,hour,distance,origin,destination,delay\n'

function csvField(v) {
  if (v === null || v === undefined) return ''
  const s = String(v)
  return /[",\n\r]/.test(s) ? '"' + s.replaceAll('"', '""') + '"' : s
}

function dateFields(d) {
  if (d === null || d === undefined) return ',,,,'
  // Wall-clock timestamp (not UTC-adjusted): read it with the UTC getters so the
  // machine's time zone cannot shift it.
  const iso = d.toISOString().slice(0, 19)
  const weekday = (d.getUTCDay() + 6) % 7
  return `${iso},${d.getUTCMonth() + 1},${d.getUTCDate()},${weekday},${d.getUTCHours()}`
}

const file = await asyncBufferFromFile(input)
const meta = await parquetMetadataAsync(file)
const names = meta.schema.slice(1).map((s) => s.name)
for (const c of COLUMNS) {
  if (!names.includes(c)) {
    console.error(`${input}: expected a column '${c}', found: ${names.join(', ')}`)
    process.exit(1)
  }
}

const tmp = `${output}.tmp-${process.pid}`
const fd = fs.openSync(tmp, 'w')
let ok = false
const cleanup = () => { if (!ok) { try { fs.unlinkSync(tmp) } catch {} } }
process.on('exit', cleanup)
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { cleanup(); process.exit(130) })

fs.writeSync(fd, HEADER)
let written = 0
let rowStart = 0
for (const rg of meta.row_groups) {
  const rowEnd = rowStart + Number(rg.num_rows)
  let rows = []
  await parquetRead({
    file, compressors, columns: COLUMNS, rowStart, rowEnd, rowFormat: 'object',
    onComplete: (r) => { rows = r },
  })
  // Format in slices of 50k rows to keep the strings small.
  for (let i = 0; i < rows.length; i += 50000) {
    let out = ''
    for (const r of rows.slice(i, i + 50000)) {
      out += dateFields(r.date) + ',' + csvField(r.distance) + ',' + csvField(r.origin) + ',' +
        csvField(r.destination) + ',' + csvField(r.delay) + '\n'
    }
    fs.writeSync(fd, out)
  }
  written += rows.length
  rowStart = rowEnd
}
fs.fsyncSync(fd)
fs.closeSync(fd)
if (written !== Number(meta.num_rows)) {
  console.error(`${input}: wrote ${written} rows but the file declares ${meta.num_rows}`)
  process.exit(1)
}
fs.renameSync(tmp, output)
ok = true
console.log(`flights: ${written} rows -> ${output}`)
