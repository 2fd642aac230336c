// Interop checks between cohort and the official AWS SDK for JavaScript
// (@aws-sdk/client-s3, @aws-sdk/lib-storage), run by cohort's interop test.
//
//   node interop.mjs read  <endpoint> <bucket> <key> <expected-file>
//     GetObject with the SDK; exit 0 when the bytes equal the file's.
//   node interop.mjs write <endpoint> <bucket> <key> <source-file> [part-size]
//     PutObject, or with a part size lib-storage's multipart Upload.
//
// Credentials are s3rver's (S3RVER / S3RVER). Exit 1 with a message on
// stderr on any mismatch or error.
import { readFile } from 'node:fs/promises';
import { S3Client, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

const [mode, endpoint, bucket, key, file, partSize] = process.argv.slice(2);
if (!mode || !endpoint || !bucket || !key || !file) {
  console.error('usage: interop.mjs read|write <endpoint> <bucket> <key> <file> [part-size]');
  process.exit(2);
}

const client = new S3Client({
  endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
});

async function read() {
  const expected = await readFile(file);
  const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const actual = Buffer.from(await response.Body.transformToByteArray());
  if (!actual.equals(expected)) {
    throw new Error(`${key}: SDK read ${actual.length} bytes that differ from the ` +
                    `${expected.length} bytes cohort wrote`);
  }
}

async function write() {
  const body = await readFile(file);
  if (partSize) {
    const upload = new Upload({
      client,
      params: { Bucket: bucket, Key: key, Body: body },
      partSize: Number(partSize),
      queueSize: 4,
    });
    await upload.done();
  } else {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  }
}

try {
  if (mode === 'read') await read();
  else if (mode === 'write') await write();
  else throw new Error(`unknown mode ${mode}`);
} catch (e) {
  console.error(`interop ${mode} failed: ${e.message}`);
  process.exit(1);
}
