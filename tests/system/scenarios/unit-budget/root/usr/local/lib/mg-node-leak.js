// memguard system test: a Node.js API leaking ~10 MB/s in Buffers (outside
// the JS heap, so that a heap snapshot of it is small and quick to write).
const held = [];
setInterval(() => {
        held.push(Buffer.alloc(1024 * 1024, 1));
}, 100);
process.on("exit", () => console.log(`held ${held.length} MiB`));
