// Holds its only thread for argv[2] milliseconds, the way a long synchronous training step does.
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(process.argv[2]));
