#!/usr/bin/env python3
"""Builds the hand-made hives in this directory and ../windows_hive/:

    python3 make-clamp-cycle.py M OUT      (M = 1 -> 8 KiB, M = 4 -> 20 KiB)

A hive whose cells overlap so that `guard::sanitize` itself creates a cycle.
Key A_j's subkey list is an `li` with two entries placed *inside* key B_j's
`nk` cell: entry 0 is B_j's subkey-count field (33, a misaligned offset),
entry 1 is B_j's volatile-count field (a valid child C_j). The root lists
[B_1..B_M, A_1..A_M], so the guard walks A_j first: it cuts entry 0
(writes CUT = 0xffffefff over B_j's count) and keeps C_j. Then it walks B_j:
the count now reads 0xffffefff, B_j's real `lf` list has 32 valid children,
so it clamps the count to 32 = 0x20, written over A_j's entry 0: a reference
to cell 0x20, the root key. notatin then sees root -> A_j -> root (M such
edges), and a walk of the hive meets the same keys again and again
(read_hive_bytes stops at SUMMARY_MAX_KEYS = 200,000 visits).
"""
import struct
import sys

m, out = int(sys.argv[1]), sys.argv[2]
cells, cur = {}, [0x20]


def alloc(size):
    r = cur[0]
    cur[0] += (size + 7) & ~7
    return r


def nk(name, flags=0x20, parent=0, subcount=0, volcount=0, sublist=0xFFFFFFFF, parent_raw=None):
    b = bytearray(0x60)
    struct.pack_into("<i", b, 0, -0x60)
    b[4:6] = b"nk"
    struct.pack_into("<H", b, 6, flags)
    struct.pack_into("<I", b, 0x10, 0xFFFFFFF0)  # access bits: also the overlapping li cell's size
    if parent_raw is not None:
        b[0x14:0x18] = parent_raw  # also the overlapping li cell's "li" and count 2
    else:
        struct.pack_into("<I", b, 0x14, parent)
    struct.pack_into("<IIII", b, 0x18, subcount, volcount, sublist, 0xFFFFFFFF)
    struct.pack_into("<IIII", b, 0x28, 0, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
    nm = name.encode()
    struct.pack_into("<HH", b, 0x4C, len(nm), 0)
    b[0x50:0x50 + len(nm)] = nm
    return b


def lf(children):
    size = 8 + 8 * len(children)
    b = bytearray(size)
    struct.pack_into("<i", b, 0, -size)
    b[4:6] = b"lf"
    struct.pack_into("<H", b, 6, len(children))
    for i, c in enumerate(children):
        struct.pack_into("<I4s", b, 8 + 8 * i, c, b"K\0\0\0")
    return b


R = alloc(0x60)
A = [alloc(0x60) for _ in range(m)]
B = [alloc(0x60) for _ in range(m)]
C = [alloc(0x60) for _ in range(m)]
D = [[alloc(0x60) for _ in range(32)] for _ in range(m)]
LB = [alloc(8 + 8 * 32) for _ in range(m)]
LR = alloc(8 + 16 * m)
cells[R] = nk("ROOT", flags=0x2C, subcount=2 * m, sublist=LR)
cells[LR] = lf(B + A)
for j in range(m):
    cells[A[j]] = nk("A%d" % j, parent=R, subcount=2, sublist=B[j] + 0x10)
    cells[B[j]] = nk("B%d" % j, parent_raw=b"li\x02\x00", subcount=0x21, volcount=C[j], sublist=LB[j])
    cells[C[j]] = nk("C%d" % j, parent=A[j])
    for k in range(32):
        cells[D[j][k]] = nk("D%d_%d" % (j, k), parent=B[j])
    cells[LB[j]] = lf(D[j])
binsize = (cur[0] + 0xFFF) & ~0xFFF
hb = bytearray(binsize)
hb[0:4] = b"hbin"
struct.pack_into("<II", hb, 4, 0, binsize)
for r, b in cells.items():
    hb[r:r + len(b)] = b
if binsize - cur[0] >= 8:
    struct.pack_into("<i", hb, cur[0], binsize - cur[0])
base = bytearray(0x1000)
base[0:4] = b"regf"
struct.pack_into("<IIQIIIIIII", base, 4, 1, 1, 0, 1, 5, 0, 1, R, binsize, 1)
cs = 0
for i in range(127):
    cs ^= struct.unpack_from("<I", base, 4 * i)[0]
struct.pack_into("<I", base, 0x1FC, cs)
with open(out, "wb") as f:
    f.write(bytes(base + hb))
