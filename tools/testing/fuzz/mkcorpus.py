#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write the fuzzers' seed corpus (corpus/wire, corpus/pkg): well-formed
inputs of each kind, from the formats in include/uapi/linux/vmig_wire.h
and dm-vmig.h. Run once; its output is checked in. CRCs are left 0: the
record fuzzer does not require them, the package fuzzer seals a package
whose CRC is 0."""
import os
import struct
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))

REC = struct.Struct('<HHIII')  # type, flags, len, crc, __reserved
PAGE = struct.Struct('<QHHIII')  # index, encoding, run, len, crc, __reserved
HELLO, PAGES, ROUND_END, BLOB, END, ACK = 1, 2, 3, 4, 5, 6
MAGIC = 0x47494d56  # VMIG_WIRE_MAGIC, "VMIG"
ZERO, RAW, LZ4, ZSTD = 0, 1, 2, 3
VERSION = 2  # VMIG_WIRE_VERSION


def rec(rtype, payload):
    return REC.pack(rtype, 0, len(payload), 0, 0) + payload


def lz4_run(byte, pages=1):
    """An LZ4 block that decodes to @pages * 4096 bytes of @byte: one
    literal, a match of the rest but 5 at offset 1, and the 5 literals a
    block must end with."""
    ml = pages * 4096 - 6 - 4
    ext = bytearray()
    rest = ml - 15
    while rest >= 255:
        ext.append(255)
        rest -= 255
    ext.append(rest)
    return (bytes([0x1f, byte]) + struct.pack('<H', 1) + bytes(ext) +
            bytes([0x50]) + bytes([byte]) * 5)


def zstd_frame(data):
    """One zstd frame of @data, its content size in its header (the zstd
    program writes it for a file)."""
    with tempfile.NamedTemporaryFile() as f:
        f.write(data)
        f.flush()
        return subprocess.run(['zstd', '-q', '-1', '-c', f.name], check=True,
                              stdout=subprocess.PIPE).stdout


def wire():
    text = bytes((b'the quick brown fox ' * 205)[:4096])
    blk = lz4_run(0x61)
    pages = (PAGE.pack(3, ZERO, 0, 0, 0, 0) +
             PAGE.pack(4, RAW, 0, 4096, 0, 0) + text +
             PAGE.pack(5, LZ4, 0, len(blk), 0, 0) + blk)
    blk4 = bytes(12) + lz4_run(0x62, 4)
    zst = bytes(4) + zstd_frame(text * 2)
    runs = (PAGE.pack(8, LZ4, 3, len(blk4), 0, 0) + blk4 +
            PAGE.pack(16, ZSTD, 1, len(zst), 0, 0) + zst)
    return {
        'hello': rec(HELLO, struct.pack('<IHHHHIQQQ', MAGIC, VERSION, 12, 0,
                                        1, 0, 64, 42, 0)),
        'pages': rec(PAGES, pages),
        'runs': rec(PAGES, runs),
        'round_end': rec(ROUND_END, struct.pack('<IIQ', 0, 1, 3)),
        'blob': rec(BLOB, struct.pack('<QQ', 5, 0) + b'state'),
        'end': rec(END, struct.pack('<IIQ', 0, 0, 5)),
        'ack': rec(ACK, struct.pack('<II', 0, 0)),
    }


HDR = struct.Struct('<IHHIIIIQQQ16s')
DESC = struct.Struct('<QQIHHHHIQ')


def pkg(descs, data, sectors=16384, next_seq=100):
    hdr = HDR.pack(0x4b534456, 1, 64, 40, len(descs), 0, 0, sectors,
                   len(data), next_seq, bytes(16))
    return hdr + b''.join(descs) + data


def pkgs():
    w = DESC.pack(11, 8, 4096, 1, 0, 2, 0, 0, 0)
    f = DESC.pack(12, 0, 0, 2, 0, 2, 0, 0, 0)
    c = DESC.pack(9, 16, 4096, 1, 0, 1, 0, 0, 0)
    r = DESC.pack(13, 24, 512, 0, 0, 2, 0, 0, 0)
    d = DESC.pack(14, 32, 1 << 20, 3, 0, 2, 0, 0, 0)
    w2 = DESC.pack(15, 40, 1024, 1, 1, 2, 0, 0, 4096)
    # Issue 12, item 6: 64 + 1 * 40 + data_len wraps to 64 in 64 bits.
    wrap = HDR.pack(0x4b534456, 1, 64, 40, 1, 0, 0, 16384, (1 << 64) - 40,
                    100, bytes(16))
    return {
        'wrap': wrap,
        'empty': pkg([], b''),
        'one_write': pkg([w], bytes(range(256)) * 16),
        'mixed': pkg([c, w, f, r, d, w2], b'\xa5' * 4096 + b'\x5a' * 1024),
    }


def main():
    for kind, seeds in (('wire', wire()), ('pkg', pkgs())):
        d = os.path.join(here, 'corpus', kind)
        os.makedirs(d, exist_ok=True)
        for name, blob in seeds.items():
            with open(os.path.join(d, name), 'wb') as f:
                f.write(blob)
    return 0


if __name__ == '__main__':
    sys.exit(main())
