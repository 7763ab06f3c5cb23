// Bare node on a unix socket: reads each connection to its end and drops the bytes. Prints
// "done <hrtime ns>" once `count` connections have ended: the intake ceiling of plain node.
import net from 'node:net';

const [socketPath, countArg] = process.argv.slice(2);
const count = Number(countArg);
let ended = 0;
const server = net.createServer((socket) => {
  socket.resume();
  socket.on('error', () => socket.destroy());
  socket.once('end', () => {
    ended++;
    if (ended === count) process.stdout.write(`done ${process.hrtime.bigint()}\n`);
  });
});
server.listen(socketPath);
