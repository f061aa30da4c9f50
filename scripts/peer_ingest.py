#!/usr/bin/env python3
"""Peer for FlowTrace's ingest benchmark: the same work in plain Python (hashlib + sqlite3).

Parses every real raw block in ../shared/data/btc/raw-blocks (txids by double SHA-256 of the non-witness
serialisation, every output's address: Base58Check for P2PKH/P2SH/P2PK, bech32/bech32m for witness programs,
a hashed pseudo-address otherwise), then stores blocks, transactions, outputs, inputs and interned addresses in
SQLite in one transaction with executemany. Prints the best-of-N outputs/s and rows/s.
"""
import hashlib, os, sqlite3, struct, sys, tempfile, time

B58 = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

def dsha(b): return hashlib.sha256(hashlib.sha256(b).digest()).digest()

def b58check(version, payload):
    data = bytes([version]) + payload
    data += dsha(data)[:4]
    n = int.from_bytes(data, "big"); out = bytearray()
    while n: n, r = divmod(n, 58); out.append(B58[r])
    pad = len(data) - len(data.lstrip(b"\0"))
    return (b"1" * pad + bytes(reversed(out))).decode()

def polymod(values):
    gen = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]; chk = 1
    for v in values:
        top = chk >> 25; chk = (chk & 0x1ffffff) << 5 ^ v
        for i in range(5):
            if (top >> i) & 1: chk ^= gen[i]
    return chk

def segwit(hrp, version, program):
    acc = bits = 0; data = [version]
    for b in program:
        acc = (acc << 8) | b; bits += 8
        while bits >= 5: bits -= 5; data.append((acc >> bits) & 31)
    if bits: data.append((acc << (5 - bits)) & 31)
    const = 1 if version == 0 else 0x2bc830a3
    values = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + data
    mod = polymod(values + [0] * 6) ^ const
    return hrp + "1" + "".join(CHARSET[d] for d in data) + "".join(CHARSET[(mod >> 5 * (5 - i)) & 31] for i in range(6))

def address(s):
    n = len(s)
    if n == 25 and s[0] == 0x76 and s[1] == 0xa9 and s[2] == 0x14 and s[23] == 0x88 and s[24] == 0xac: return b58check(0, s[3:23]), 2
    if n == 23 and s[0] == 0xa9 and s[1] == 0x14 and s[22] == 0x87: return b58check(5, s[2:22]), 3
    if 4 <= n <= 42 and (s[0] == 0 or 0x51 <= s[0] <= 0x60) and s[1] == n - 2:
        v = 0 if s[0] == 0 else s[0] - 0x50
        if v != 0 or n - 2 in (20, 32): return segwit("bc", v, s[2:]), 6
    if (n == 35 and s[0] == 33 and s[34] == 0xac) or (n == 67 and s[0] == 65 and s[66] == 0xac):
        h = hashlib.new("ripemd160", hashlib.sha256(s[1:-1]).digest()).digest() if "ripemd160" in hashlib.algorithms_available else hashlib.sha256(s[1:-1]).digest()[:20]
        return b58check(0, h), 1
    return "nonstandard-" + hashlib.sha256(s).hexdigest()[:40], 0

def cs(b, i):
    f = b[i]
    if f < 0xfd: return f, i + 1
    if f == 0xfd: return struct.unpack_from("<H", b, i + 1)[0], i + 3
    if f == 0xfe: return struct.unpack_from("<I", b, i + 1)[0], i + 5
    return struct.unpack_from("<Q", b, i + 1)[0], i + 9

def parse_block(b):
    bh = dsha(b[:80])[::-1]
    n, i = cs(b, 80); txs = []
    for _ in range(n):
        s = i; i += 4; seg = b[i] == 0 and b[i + 1] == 1
        if seg: i += 2
        body = i
        nin, i = cs(b, i); ins = []
        for _ in range(nin):
            pt = b[i:i + 32]; pv = struct.unpack_from("<I", b, i + 32)[0]; i += 36
            l, i = cs(b, i); i += l; seq = struct.unpack_from("<I", b, i)[0]; i += 4
            ins.append((pt[::-1], pv, seq))
        nout, i = cs(b, i); outs = []
        for _ in range(nout):
            v = struct.unpack_from("<q", b, i)[0]; i += 8; l, i = cs(b, i)
            a, t = address(b[i:i + l]); i += l; outs.append((v, a, t))
        bend = i
        if seg:
            for _ in range(nin):
                k, i = cs(b, i)
                for _ in range(k): l, i = cs(b, i); i += l
        i += 4
        txid = dsha(b[s:s + 4] + b[body:bend] + b[i - 4:i])[::-1]
        coinbase = nin == 1 and ins[0][0] == b"\0" * 32
        txs.append((txid, i - s, [] if coinbase else ins, outs))
    return bh, txs

def store(blocks, path):
    for suffix in ("", "-wal", "-shm"):
        try: os.remove(path + suffix)
        except FileNotFoundError: pass
    db = sqlite3.connect(path, isolation_level=None)
    db.executescript("""
    PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
    CREATE TABLE addresses(id INTEGER PRIMARY KEY, address TEXT NOT NULL UNIQUE, script_type INTEGER);
    CREATE TABLE blocks(id INTEGER PRIMARY KEY, hash BLOB UNIQUE, tx_count INTEGER);
    CREATE TABLE transactions(id INTEGER PRIMARY KEY, txid BLOB UNIQUE, block_id INTEGER, size INTEGER, output_value INTEGER);
    CREATE TABLE outputs(tx_id INTEGER, vout INTEGER, value INTEGER, address_id INTEGER, script_type INTEGER, PRIMARY KEY(tx_id, vout)) WITHOUT ROWID;
    CREATE TABLE inputs(tx_id INTEGER, vin INTEGER, prev_txid BLOB, prev_vout INTEGER, sequence INTEGER, prev_tx_id INTEGER, value INTEGER, PRIMARY KEY(tx_id, vin)) WITHOUT ROWID;
    """)
    rows = 0; ids = {}; txids = {}
    db.execute("BEGIN")
    for bh, txs in blocks:
        bid = db.execute("INSERT INTO blocks(hash, tx_count) VALUES (?, ?)", (bh, len(txs))).lastrowid; rows += 1
        for txid, size, ins, outs in txs:
            tid = db.execute("INSERT INTO transactions(txid, block_id, size, output_value) VALUES (?,?,?,?)",
                             (txid, bid, size, sum(o[0] for o in outs))).lastrowid
            txids[txid] = tid; rows += 1
            orows = []
            for n, (v, a, t) in enumerate(outs):
                aid = ids.get(a)
                if aid is None:
                    aid = db.execute("INSERT INTO addresses(address, script_type) VALUES (?, ?)", (a, t)).lastrowid
                    ids[a] = aid; rows += 1
                orows.append((tid, n, v, aid, t))
            db.executemany("INSERT INTO outputs VALUES (?,?,?,?,?)", orows); rows += len(orows)
            db.executemany("INSERT INTO inputs VALUES (?,?,?,?,?,?,NULL)",
                           [(tid, n, pt, pv, seq, txids.get(pt)) for n, (pt, pv, seq) in enumerate(ins)]); rows += len(ins)
    db.execute("COMMIT"); db.close()
    return rows

def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    here = os.path.dirname(os.path.abspath(__file__))
    d = os.path.join(here, "..", "..", "shared", "data", "btc", "raw-blocks")
    raw = [open(os.path.join(d, f), "rb").read() for f in sorted(os.listdir(d)) if f.endswith(".raw")]
    path = os.path.join(tempfile.gettempdir(), "flowtrace-peer.sqlite")
    best_parse = best_store = 0.0
    for _ in range(runs):
        t = time.perf_counter(); blocks = [parse_block(b) for b in raw]
        outputs = sum(len(tx[3]) for _, txs in blocks for tx in txs)
        best_parse = max(best_parse, outputs / (time.perf_counter() - t))
        t = time.perf_counter(); rows = store(blocks, path)
        best_store = max(best_store, rows / (time.perf_counter() - t))
    print(f"python peer parse: {outputs} outputs, best {best_parse:.0f} outputs/s")
    print(f"python peer store: {rows} rows, best {best_store:.0f} rows/s")

if __name__ == "__main__":
    main()
