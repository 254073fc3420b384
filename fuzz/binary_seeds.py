#!/usr/bin/env python3
"""Seed corpora for the Windows, macOS and PE fuzz targets, from real files.

Called by scripts/fuzz as `binary_seeds.py CORPUS_DIR CORPORA_DIR REPO_ROOT`.
Writes content-named seeds into CORPUS_DIR/<target>/:

* windows_hive, windows_guard: every real hive (regipy and plaso `.xz`
  unpacked, windows-hives, libguestfs, the fixture roots' SOFTWARE, SYSTEM and
  NTUSER.DAT, hostile ones included), whole when they fit in -max_len, else
  cut to 16, 32 and 64 KiB (the base block, the root key and the first bins);
* windows_cert_blob: every `Blob` value found under a `Certificates` key of
  those hives (a small regf walker below), Velociraptor's `root_store_reg.bin`,
  the fixture PKI certificates as bare DER and wrapped in property blobs;
* macos_plist: every `*.plist` in the corpora and the macOS fixture roots, each
  also converted to the other encoding (XML <-> binary) with plistlib, OpenStep
  text, and hostile shapes (deep nesting, a binary plist whose objects are
  shared so it expands far beyond its size);
* macho_signature: the Mach-O files of the macOS fixture roots and the rcodesign
  fixture, the thin slices of the fat ones, and the fat ones re-wrapped as
  64-bit fat files (0xcafebabf);
* pe_signature: the PE files of fixtures/roots/deep-* (hostile/ included) that
  fit, and each signed one compacted: its headers followed directly by its
  certificate table, with the security directory moved there;
* pkcs7_signed_data: the PKCS#7 SignedData of each signed PE (the
  WIN_CERTIFICATE body, and each nested signature on its own), plus SignedData
  made with openssl from the fixture PKI: issuer-and-serial and key-id
  signers, no certificates, a certificate bag with no signer.

Only the standard library is used (and `openssl` for the last group, if present).
Large inputs are cut to the target's -max_len (scripts/fuzz keeps the two in step).
"""

import hashlib
import lzma
import os
import plistlib
import struct
import subprocess
import sys
import tempfile

OUT, CORPORA, ROOT = sys.argv[1], sys.argv[2], sys.argv[3]
FIXTURES = os.path.join(ROOT, "fixtures", "roots")
TMP = tempfile.mkdtemp(prefix="uproot-binary-seeds")

MAX = {  # -max_len in scripts/fuzz
    "windows_hive": 65536,
    "windows_guard": 65536,
    "windows_cert_blob": 8192,
    "macos_plist": 32768,
    "macho_signature": 65536,
    "pe_signature": 32768,
    "pkcs7_signed_data": 16384,
}
counts = {}


def seed(target, data, limit=None):
    """Writes one seed, named by its SHA-1; inputs over the limit are skipped."""
    if not data or len(data) > (limit or MAX[target]):
        return False
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, hashlib.sha1(data).hexdigest())
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
        counts[target] = counts.get(target, 0) + 1
    return True


def files_under(top, keep=lambda p: True):
    out = []
    if os.path.isdir(top):
        for d, _, names in os.walk(top):
            for n in names:
                p = os.path.join(d, n)
                if os.path.isfile(p) and not os.path.islink(p) and keep(p):
                    out.append(p)
    return sorted(out)


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    return lzma.decompress(data) if path.endswith(".xz") else data


def fixture_roots(prefix):
    if not os.path.isdir(FIXTURES):
        return []
    return [os.path.join(FIXTURES, d) for d in sorted(os.listdir(FIXTURES)) if d.startswith(prefix)]


# --------------------------------------------------------------- registry


def hive_paths():
    s = CORPORA
    paths = [p for p in files_under(os.path.join(s, "regipy")) if p.endswith(".xz")]
    paths += files_under(os.path.join(s, "windows-hives"),
                         lambda p: not p.endswith((".txt", ".reg", "LICENSE", "README", ".md")))
    paths += [os.path.join(s, "libguestfs", n) for n in ("windows-software.built", "windows-system.built", "minimal-hive")]
    for r in fixture_roots("windows-"):
        paths += files_under(r, lambda p: os.path.basename(p) in ("SOFTWARE", "SYSTEM", "NTUSER.DAT"))
    return [p for p in paths if os.path.isfile(p)]


class Regf:
    """Just enough of the regf format to find values; bounded and cycle-safe."""

    def __init__(self, data):
        self.d = data

    def cell(self, off, need=8):
        a = 0x1000 + off
        if off % 8 or a + need > len(self.d):
            return None
        return a

    def u16(self, a):
        return struct.unpack_from("<H", self.d, a)[0] if a + 2 <= len(self.d) else 0

    def u32(self, a):
        return struct.unpack_from("<I", self.d, a)[0] if a + 4 <= len(self.d) else 0

    def sig(self, a):
        return self.d[a + 4:a + 6]

    def children(self, list_off, depth=0):
        a = self.cell(list_off)
        if a is None or depth > 2:
            return []
        sig, n = self.sig(a), self.u16(a + 6)
        if sig in (b"lf", b"lh"):
            return [self.u32(a + 8 + 8 * i) for i in range(n)]
        if sig == b"li":
            return [self.u32(a + 8 + 4 * i) for i in range(n)]
        if sig == b"ri":
            out = []
            for i in range(n):
                out += self.children(self.u32(a + 8 + 4 * i), depth + 1)
            return out
        return []

    def name(self, a, length, ascii):
        raw = self.d[a:a + length]
        return raw.decode("latin-1") if ascii else raw.decode("utf-16-le", "replace")

    def value_data(self, vk):
        size, off = self.u32(vk + 8), self.u32(vk + 12)
        if size & 0x80000000:
            return struct.pack("<I", off)[: size & 0x7fffffff]
        a = self.cell(off)
        if a is None or size > len(self.d):
            return b""
        if self.sig(a) == b"db" and size > 16344:
            segs, out = self.cell(self.u32(a + 8)), b""
            for i in range(self.u16(a + 6) if segs is not None else 0):
                s = self.cell(self.u32(segs + 4 + 4 * i))
                if s is not None:
                    out += self.d[s + 4:s + 4 + 16344]
            return out[:size]
        return self.d[a + 4:a + 4 + size]

    def walk(self):
        """Yields (path, value name, data) for every value."""
        if len(self.d) < 0x1100 or self.d[:4] != b"regf":
            return
        seen = set()
        stack = [(self.u32(0x24), "")]
        while stack and len(seen) < 200000:
            off, path = stack.pop()
            a = self.cell(off, 0x50)
            if a is None or off in seen or self.sig(a) != b"nk":
                continue
            seen.add(off)
            name = self.name(a + 0x50, self.u16(a + 0x4c), self.u16(a + 6) & 0x20)  # KEY_COMP_NAME
            path = path + "\\" + name if path else name
            nvals, vlist = self.u32(a + 0x28), self.u32(a + 0x2c)
            va = self.cell(vlist, 4)
            if va is not None:
                for i in range(min(nvals, 4096)):
                    vk = self.cell(self.u32(va + 4 + 4 * i), 0x18)
                    if vk is None or self.sig(vk) != b"vk":
                        continue
                    vname = self.name(vk + 0x18, self.u16(vk + 6), self.u16(vk + 0x14) & 1)  # VALUE_COMP_NAME
                    yield path, vname, self.value_data(vk)
            if self.u32(a + 0x18):
                stack += [(c, path) for c in self.children(self.u32(a + 0x20))]


def registry_seeds():
    blobs = []
    for p in hive_paths():
        try:
            data = read(p)
        except (OSError, lzma.LZMAError):
            continue
        for t in ("windows_hive", "windows_guard"):
            if not seed(t, data):
                # The base block, the root and the first bins: what a cut keeps.
                for cut in (16384, 32768, 65536):
                    seed(t, data[:cut])
        for path, vname, v in Regf(data).walk():
            if vname.lower() == "blob" and "\\certificates\\" in path.lower():
                blobs.append(v)
    for b in blobs[:80]:
        seed("windows_cert_blob", b)
    return blobs


def prop(pid, body):
    return struct.pack("<III", pid, 1, len(body)) + body


def cert_blob_seeds():
    seed("windows_cert_blob", read(os.path.join(CORPORA, "velociraptor/artifacts/testdata/files/root_store_reg.bin")))
    ders = []
    for d in (os.path.join(ROOT, "scripts/fixtures/pki"), os.path.join(ROOT, "scripts/fixtures/pe/pki")):
        for p in files_under(d, lambda p: p.endswith(".crt")):
            ders.append(pem_to_der(read(p)))
    for der in [d for d in ders if d][:8]:
        seed("windows_cert_blob", der)  # a bare DER value, as some tools write it
        name = "Fuzz Root\0".encode("utf-16-le")
        seed("windows_cert_blob", prop(0x0b, name) + prop(0x03, hashlib.sha1(der).digest()) + prop(0x20, der))
        seed("windows_cert_blob", prop(0x20, der) + prop(0x0b, name)[:-4])  # trailing property cut short
        seed("windows_cert_blob", prop(0x5c, b"\x30\x0a" + b"\0" * 10) + struct.pack("<III", 0x20, 1, len(der) + 9) + der)
    seed("windows_cert_blob", prop(0x0b, "no certificate\0".encode("utf-16-le")))


def pem_to_der(pem):
    import base64
    lines = pem.decode("ascii", "replace").splitlines()
    try:
        start = next(i for i, l in enumerate(lines) if l.startswith("-----BEGIN CERTIFICATE"))
        end = next(i for i, l in enumerate(lines) if l.startswith("-----END CERTIFICATE") and i > start)
    except StopIteration:
        return b""
    return base64.b64decode("".join(lines[start + 1:end]))


# --------------------------------------------------------------- plists


def plist_seeds():
    paths = files_under(CORPORA, lambda p: p.endswith(".plist"))
    for r in fixture_roots("macos-"):
        paths += files_under(r, lambda p: p.endswith(".plist"))
    for p in paths:
        data = read(p)
        seed("macos_plist", data)
        try:
            value = plistlib.loads(data)
        except Exception:
            continue
        for fmt in (plistlib.FMT_BINARY, plistlib.FMT_XML):
            try:
                seed("macos_plist", plistlib.dumps(value, fmt=fmt))
            except Exception:
                pass
    # OpenStep / NeXTSTEP text, as old defaults and some launchd files still are.
    for text in (
        b'{\n    Label = "com.kaspersky.kav";\n    ProgramArguments = ("/Library/Application Support/Kaspersky Lab/KAV/Binaries/kav", "-d");\n    RunAtLoad = YES;\n    Data = <0fbd7712 00ff>;\n    Nested = { a = 1; b = (x, "y z", {}); };\n}\n',
        b'( "one", two, <>, { "k" = "v"; } )',
        b'// comment\n/* block */ { CFBundleIdentifier = com.example.app; CFBundleVersion = "1.0"; }',
    ):
        seed("macos_plist", text)
    # Every XML type, and binary UIDs, dates and reals.
    import datetime
    value = {
        "CFBundleIdentifier": "com.kaspersky.kav", "CFBundleShortVersionString": "21.9",
        "n": -1, "big": 2 ** 63 - 1, "u": 2 ** 64 - 1, "r": 1.5e300, "t": True, "f": False,
        "d": datetime.datetime(2013, 11, 12, 2, 59, 35), "data": b"\0\xff" * 20,
        "a": [[], {}, [1, [2, [3]]]], "\u00e9\u6f22": "\U0001f600",
    }
    for fmt in (plistlib.FMT_BINARY, plistlib.FMT_XML):
        seed("macos_plist", plistlib.dumps(value, fmt=fmt))
    seed("macos_plist", plistlib.dumps({"uid": plistlib.UID(7), "$objects": ["$null"]}, fmt=plistlib.FMT_BINARY))
    # Hostile: nesting past the depth limit, and a binary plist whose shared
    # arrays expand to 16^6 values.
    for depth in (63, 64, 65, 200):
        seed("macos_plist", b"<array>" * depth + b"</array>" * depth)
        seed("macos_plist", b"(" * depth + b")" * depth)
    shared = [1, "x" * 64]
    for _ in range(6):
        shared = [shared] * 16
    seed("macos_plist", plistlib.dumps(shared, fmt=plistlib.FMT_BINARY))
    seed("macos_plist", b'<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY a "aaaaaaaaaa">]><plist><string>&a;&a;</string></plist>')


# --------------------------------------------------------------- Mach-O


THIN = {b"\xfe\xed\xfa\xce", b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe"}


def macho_seeds():
    paths = []
    for r in fixture_roots("macos-"):
        paths += files_under(r)
    paths += files_under(os.path.join(ROOT, "scripts/fixtures/macos/rcodesign"))
    for p in paths:
        data = read(p)
        magic = data[:4]
        if magic in THIN:
            seed("macho_signature", data)
        elif magic == b"\xca\xfe\xba\xbe" and 0 < struct.unpack(">I", data[4:8])[0] <= 30:
            seed("macho_signature", data)
            n = struct.unpack(">I", data[4:8])[0]
            archs = [struct.unpack_from(">iiIII", data, 8 + 20 * i) for i in range(n)]
            for _, _, off, size, _ in archs:
                seed("macho_signature", data[off:off + size])
            # The same slices behind a 64-bit fat header.
            if 8 + 32 * n <= min(a[2] for a in archs):
                out = bytearray(data)
                out[0:4] = b"\xca\xfe\xba\xbf"
                out[8:8 + 20 * n] = b"\0" * (20 * n)
                for i, (cpu, sub, off, size, align) in enumerate(archs):
                    struct.pack_into(">iiQQII", out, 8 + 32 * i, cpu, sub, off, size, align, 0)
                seed("macho_signature", bytes(out))
    # A Java class file shares 0xcafebabe (major version 52 where nfat_arch is).
    seed("macho_signature", b"\xca\xfe\xba\xbe\x00\x00\x00\x34" + b"\0" * 64)


# --------------------------------------------------------------- PE / PKCS#7


def pe_security(data):
    """(security dir entry position, offset, size, end of section table) or None."""
    if data[:2] != b"MZ" or len(data) < 0x40:
        return None
    lfanew = struct.unpack_from("<I", data, 0x3c)[0]
    if lfanew + 24 > len(data) or data[lfanew:lfanew + 4] != b"PE\0\0":
        return None
    nsec, = struct.unpack_from("<H", data, lfanew + 6)
    optsize, = struct.unpack_from("<H", data, lfanew + 20)
    opt = lfanew + 24
    if opt + 2 > len(data):
        return None
    magic, = struct.unpack_from("<H", data, opt)
    dirs = {0x10b: 96, 0x20b: 112}.get(magic)
    if dirs is None or opt + dirs + 40 > len(data):
        return None
    entry = opt + dirs + 32
    off, size = struct.unpack_from("<II", data, entry)
    return entry, off, size, opt + optsize + 40 * nsec


def der_len(b, at=0):
    """(header length, body length) of the TLV at `at`, or None."""
    if at + 2 > len(b):
        return None
    l0 = b[at + 1]
    if l0 < 0x80:
        return 2, l0
    n = l0 & 0x7f
    if n == 0 or n > 4 or at + 2 + n > len(b):
        return None
    return 2 + n, int.from_bytes(b[at + 2:at + 2 + n], "big")


def der_items(b):
    """(tag, body, raw) of each TLV in `b`."""
    at, out = 0, []
    while at < len(b):
        h = der_len(b, at)
        if h is None or at + h[0] + h[1] > len(b):
            break
        out.append((b[at], b[at + h[0]:at + h[0] + h[1]], b[at:at + h[0] + h[1]]))
        at += h[0] + h[1]
    return out


NESTED_OID = bytes([0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x04, 0x01])


def nested_signatures(ci, depth=0):
    """The nested ContentInfos inside a ContentInfo (1.3.6.1.4.1.311.2.4.1)."""
    out = []
    try:
        (t, body, _), = der_items(ci)[:1]
        explicit = der_items(body)[1][1]
        sd = der_items(der_items(explicit)[0][1])
        for tag, sis, _ in sd:
            if tag != 0x31:
                continue
            for _, si, _ in der_items(sis):
                for tag2, attrs, _ in der_items(si):
                    if tag2 != 0xa1:
                        continue
                    for _, attr, _ in der_items(attrs):
                        parts = der_items(attr)
                        if len(parts) == 2 and parts[0][1] == NESTED_OID:
                            for _, _, raw in der_items(parts[1][1]):
                                out.append(raw)
                                if depth < 4:
                                    out += nested_signatures(raw, depth + 1)
    except (ValueError, IndexError):
        pass
    return out


def pe_seeds():
    paths = []
    for r in fixture_roots("deep-"):
        paths += files_under(r, lambda p: not p.endswith((".tsv", ".sha256", ".md")))
    pkcs7 = []
    for p in paths:
        data = read(p)
        sec = pe_security(data)
        if sec is None:
            continue
        seed("pe_signature", data)
        entry, off, size, headers_end = sec
        table = data[off:off + size] if off and size and off + size <= len(data) else b""
        # Compact: the headers, then the table, with the directory pointing there.
        head = bytearray(data[:(headers_end + 7) & ~7])
        if len(head) >= entry + 8:
            unsigned = bytearray(head)
            struct.pack_into("<II", unsigned, entry, 0, 0)
            seed("pe_signature", bytes(unsigned))
            if table:
                struct.pack_into("<II", head, entry, len(head), len(table))
                seed("pe_signature", bytes(head) + table)
        at = 0
        while at + 8 <= len(table):
            length, rev, ctype = struct.unpack_from("<IHH", table, at)
            if length < 8 or at + length > len(table):
                break
            if ctype == 2:
                body = table[at + 8:at + length]
                h = der_len(body)
                pkcs7.append(body)
                if h and h[0] + h[1] <= len(body):
                    pkcs7.append(body[:h[0] + h[1]])
                    pkcs7 += nested_signatures(body[:h[0] + h[1]])
            at += (length + 7) & ~7
    for b in pkcs7:
        seed("pkcs7_signed_data", b)
    openssl_pkcs7()


def openssl_pkcs7():
    pki = os.path.join(ROOT, "scripts/fixtures/pe/pki")
    crt, key = os.path.join(pki, "kaspersky.crt"), os.path.join(pki, "kaspersky.key")
    ca = os.path.join(pki, "test-codesign-ca.crt")
    if not (os.path.exists(crt) and os.path.exists(key)):
        return
    msg = os.path.join(TMP, "content")
    with open(msg, "wb") as f:
        f.write(b"\x30\x03\x02\x01\x01")
    variants = [
        ["cms", "-sign", "-binary", "-signer", crt, "-inkey", key, "-certfile", ca],
        ["cms", "-sign", "-binary", "-signer", crt, "-inkey", key, "-keyid"],
        ["cms", "-sign", "-binary", "-signer", crt, "-inkey", key, "-nocerts"],
        ["cms", "-sign", "-binary", "-signer", crt, "-inkey", key, "-noattr", "-md", "sha1"],
        ["smime", "-sign", "-binary", "-signer", crt, "-inkey", key, "-certfile", ca],
    ]
    out = os.path.join(TMP, "p7.der")
    for v in variants:
        r = subprocess.run(["openssl"] + v + ["-in", msg, "-outform", "DER", "-out", out],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if r.returncode == 0:
            seed("pkcs7_signed_data", read(out))
    # Certificates only: SignedData with an empty signerInfos.
    r = subprocess.run(["openssl", "crl2pkcs7", "-nocrl", "-certfile", crt, "-certfile", ca, "-outform", "DER", "-out", out],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if r.returncode == 0:
        seed("pkcs7_signed_data", read(out))


def main():
    registry_seeds()
    cert_blob_seeds()
    plist_seeds()
    macho_seeds()
    pe_seeds()
    for t in sorted(MAX):
        print("  %-18s %5d new seed(s)" % (t, counts.get(t, 0)))


if __name__ == "__main__":
    try:
        main()
    finally:
        import shutil
        shutil.rmtree(TMP, ignore_errors=True)
