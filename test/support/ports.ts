import { createServer } from "node:net";

/**
 * Below Linux's default ephemeral range (32768-60999, net.ipv4.ip_local_port_range): the kernel also hands ports of that
 * range to outgoing connections, so a port the OS picked as free can be taken as a connection's source port before the
 * server that wanted it binds (seen as "port taken" from the Firebase emulators on a loaded machine). Only listeners
 * that choose their port use this range.
 */
const LISTENER_RANGE = { first: 20_000, last: 32_767 };

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.unref();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

function osPickedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("could not determine a free port"));
      });
    });
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago, outside the ephemeral range when one can be found there. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = LISTENER_RANGE.first + Math.floor(Math.random() * (LISTENER_RANGE.last - LISTENER_RANGE.first + 1));
    if (await canListen(port)) return port;
  }
  return osPickedPort();
}
