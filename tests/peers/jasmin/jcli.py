"""A line-oriented client for Jasmin's jCli (its telnet management console).

jCli only draws its first prompt once it knows the terminal's window size, so the client accepts
the NAWS telnet option (answering with a wide window, so tables are not wrapped), refuses every
other option, and strips telnet commands from what it reads.
"""

from __future__ import annotations

import contextlib
import socket

IAC, DONT, DO, WONT, WILL, SB, SE, NAWS = 255, 254, 253, 252, 251, 250, 240, 31
PROMPTS = (b"jcli : ", b"> ")


class JCliError(RuntimeError):
    pass


class JCli:
    def __init__(self, host: str, port: int, timeout: float = 15.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.transcript: list[str] = []
        self.sock.settimeout(5.0)
        try:
            self._read_prompt()
        except TimeoutError:  # no prompt drawn yet: an empty line makes jCli print one
            self.sock.sendall(b"\r\n")
            self._read_prompt()
        self.sock.settimeout(timeout)

    def _feed(self, data: bytes) -> None:
        out = bytearray()
        i = 0
        while i < len(data):
            if data[i] != IAC or i + 1 >= len(data):
                out.append(data[i])
                i += 1
                continue
            command = data[i + 1]
            if command in (DO, DONT, WILL, WONT) and i + 2 < len(data):
                option = data[i + 2]
                if command == DO and option == NAWS:  # 250 x 50 characters
                    size = bytes([IAC, SB, NAWS, 0, 250, 0, 50, IAC, SE])
                    self.sock.sendall(bytes([IAC, WILL, NAWS]) + size)
                elif command == DO:
                    self.sock.sendall(bytes([IAC, WONT, option]))
                elif command == WILL:
                    self.sock.sendall(bytes([IAC, DONT, option]))
                i += 3
            elif command == SB:
                end = data.find(bytes([IAC, SE]), i)
                i = len(data) if end < 0 else end + 2
            else:
                i += 2
        self.buf += bytes(out)

    def _read_prompt(self) -> str:
        while True:
            for prompt in PROMPTS:
                if self.buf.endswith(prompt):
                    text, self.buf = self.buf[: -len(prompt)], b""
                    return text.decode(errors="replace")
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                raise TimeoutError(f"no jCli prompt; got {self.buf[-300:]!r}") from None
            if not data:
                raise JCliError(f"jCli closed the connection; got {self.buf[-300:]!r}")
            self._feed(data)

    def cmd(self, line: str) -> str:
        self.sock.sendall(line.encode() + b"\r\n")
        text = self._read_prompt()
        self.transcript.append(f">>> {line}\n{text.strip()}")
        return text

    def add(self, first: str, params: dict[str, str]) -> None:
        """One ``<thing> -a`` block: the opening command, ``key value`` lines, then ``ok``."""
        self.cmd(first)
        for key, value in params.items():
            out = self.cmd(f"{key} {value}")
            if "Unknown" in out or "rror" in out:
                raise JCliError(f"jCli rejected '{key} {value}' in '{first}': {out.strip()}")
        out = self.cmd("ok")
        if "Successfully added" not in out:
            raise JCliError(f"jCli '{first}' failed: {out.strip()}")

    def expect(self, line: str, wanted: str) -> str:
        out = self.cmd(line)
        if wanted not in out:
            raise JCliError(f"jCli '{line}' did not say {wanted!r}: {out.strip()}")
        return out

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.sendall(b"quit\r\n")
        self.sock.close()
