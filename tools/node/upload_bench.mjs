// The AWS SDK side of cohort's upload benchmark (bench/blob/s3_upload_bench.cc):
// uploads a file from disk with @aws-sdk/lib-storage's Upload and prints one
// JSON line: wall seconds, client CPU seconds of the upload (process.cpuUsage
// from just before it), of the whole process (start-up included) and peak RSS.
//
//   node upload_bench.mjs <endpoint> <bucket> <key> <file> <part-size> <queue-size>
import { createReadStream } from 'node:fs';
import { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

const [endpoint, bucket, key, file, partSize, queueSize] = process.argv.slice(2);
if (!queueSize) {
  console.error('usage: upload_bench.mjs <endpoint> <bucket> <key> <file> <part-size> <queue-size>');
  process.exit(2);
}
const client = new S3Client({
  endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
});
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
const upload = new Upload({
  client,
  params: { Bucket: bucket, Key: key, Body: createReadStream(file) },
  partSize: Number(partSize),
  queueSize: Number(queueSize),
});
await upload.done();
const wall = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
const total = process.cpuUsage();
console.log(JSON.stringify({
  wall_s: wall,
  cpu_s: (cpu.user + cpu.system) / 1e6,
  process_cpu_s: (total.user + total.system) / 1e6,
  peak_rss_mib: process.resourceUsage().maxRSS / 1024,
}));
