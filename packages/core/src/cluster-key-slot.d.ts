// cluster-key-slot (ioredis's slot function) ships no type declarations.
declare module 'cluster-key-slot' {
  /** CRC16 of the key's hash tag (or of the whole key) mod 16384. */
  function calculateSlot(key: string): number;
  export = calculateSlot;
}
