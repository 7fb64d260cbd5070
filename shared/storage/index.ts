export * from './ObjectStorage.ts';
export { createStorage } from './createStorage.ts';
export { LocalStorage } from './LocalStorage.ts';
export { S3Storage, type S3StorageOptions } from './S3Storage.ts';
