"""A small SOCKS5 proxy (RFC 1928, no authentication, CONNECT only) for
the proxy tests: it runs an asyncio loop in a thread of the test, records
each CONNECT's destination as the client named it (a host name stays a
name: the proxy resolves it), and relays the bytes both ways."""

import asyncio
import socket
import threading


class Socks5Proxy:
    def __init__(self):
        self.requests = []          # (host, port) of each CONNECT, in order
        self.relayed = 0            # connections relayed to their end
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if not self._ready.wait(60):
            raise RuntimeError("the SOCKS5 proxy did not start")

    def _run(self):
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _client(self, reader, writer):
        try:
            version, n = await reader.readexactly(2)
            methods = await reader.readexactly(n)
            if version != 5 or 0 not in methods:
                writer.write(b"\x05\xff")
                return
            writer.write(b"\x05\x00")
            version, command, _, kind = await reader.readexactly(4)
            if kind == 1:
                host = socket.inet_ntoa(await reader.readexactly(4))
            elif kind == 3:
                host = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
            else:
                host = socket.inet_ntop(socket.AF_INET6, await reader.readexactly(16))
            port = int.from_bytes(await reader.readexactly(2), "big")
            self.requests.append((host, port))
            if command != 1:
                writer.write(b"\x05\x07\x00\x01" + bytes(6))
                return
            try:
                up_reader, up_writer = await asyncio.open_connection(host, port)
            except OSError:
                writer.write(b"\x05\x05\x00\x01" + bytes(6))
                return
            writer.write(b"\x05\x00\x00\x01" + bytes(6))
            self.relayed += 1
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    @staticmethod
    async def _pipe(reader, writer):
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    def stop(self):
        def shut():
            self._server.close()
            self._loop.stop()
        self._loop.call_soon_threadsafe(shut)
        self._thread.join(60)
