#!/usr/bin/python3
"""Generate legacy_vectors.json: password hashes made by other stacks' tools.

Latchkey must verify hashes imported from Python (argon2-cffi, bcrypt) and
Apache (htpasswd) deployments, so these vectors come from those real tools,
never from Latchkey's own code. See README.md for the exact command and the
package versions used.
"""

import json
import subprocess
import sys

import argon2
import bcrypt
from argon2 import low_level

FULLWIDTH = "ｐａｓｓｗｏｒｄ１２３"  # NFKC: "password123"
DECOMPOSED = "cafe\u0301 latte"  # NFKC composes e + U+0301 into é
COMPOSED = "pässwörd ✓"  # already NFKC: non-ASCII, stable
LIGATURE = "ﬁnance ²"  # NFKC: "finance 2"
LONG = "0123456789" * 10  # 100 bytes: bcrypt only reads the first 72


def cffi(password, type_, t, m, p, hash_len, salt_len):
    h = argon2.PasswordHasher(
        time_cost=t, memory_cost=m, parallelism=p,
        hash_len=hash_len, salt_len=salt_len, type=type_,
    )
    return h.hash(password)


def htpasswd(password, cost):
    out = subprocess.run(
        ["htpasswd", "-nbB", "-C", str(cost), "user", password],
        check=True, capture_output=True, text=True,
    ).stdout
    return out.strip().split(":", 1)[1]


def py_bcrypt(password, cost, prefix=b"2b"):
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=cost, prefix=prefix)).decode()


ID, I = argon2.Type.ID, argon2.Type.I
vectors = [
    ("argon2id basic", "argon2-cffi PasswordHasher", "correct horse battery staple",
     cffi("correct horse battery staple", ID, 2, 1024, 1, 32, 16), "ok"),
    ("argon2id four lanes 16-byte key", "argon2-cffi PasswordHasher", "Tr0ub4dor&3",
     cffi("Tr0ub4dor&3", ID, 1, 1024, 4, 16, 16), "ok"),
    ("argon2id 8-byte salt 64-byte key", "argon2-cffi PasswordHasher", "s3cret",
     cffi("s3cret", ID, 3, 512, 2, 64, 8), "ok"),
    ("argon2id empty password", "argon2-cffi PasswordHasher", "",
     cffi("", ID, 1, 256, 1, 32, 16), "ok"),
    ("argon2i basic", "argon2-cffi PasswordHasher", "hunter2hunter2",
     cffi("hunter2hunter2", I, 3, 1024, 1, 32, 16), "ok"),
    ("argon2id full-width raw", "argon2-cffi PasswordHasher", FULLWIDTH,
     cffi(FULLWIDTH, ID, 2, 1024, 1, 32, 16), "ok"),
    ("argon2i decomposed raw", "argon2-cffi PasswordHasher", DECOMPOSED,
     cffi(DECOMPOSED, I, 2, 1024, 1, 32, 16), "ok"),
    ("argon2id ligature raw", "argon2-cffi PasswordHasher", LIGATURE,
     cffi(LIGATURE, ID, 1, 1024, 2, 32, 16), "ok"),
    ("argon2id composed non-ASCII", "argon2-cffi PasswordHasher", COMPOSED,
     cffi(COMPOSED, ID, 2, 1024, 1, 32, 16), "ok"),
    ("argon2id version 16", "argon2-cffi low_level.hash_secret version=16", "correct horse battery staple",
     low_level.hash_secret(b"correct horse battery staple", b"sixteen byte slt", 2, 1024, 1, 32,
                           low_level.Type.ID, version=16).decode(), "unsupported"),
    ("bcrypt 2b", "python3-bcrypt hashpw", "correct horse battery staple",
     py_bcrypt("correct horse battery staple", 4), "ok"),
    ("bcrypt 2b cost 5 full-width raw", "python3-bcrypt hashpw", FULLWIDTH,
     py_bcrypt(FULLWIDTH, 5), "ok"),
    ("bcrypt 2b 100-byte password", "python3-bcrypt hashpw", LONG,
     py_bcrypt(LONG, 4), "ok"),
    ("bcrypt 2a", "python3-bcrypt hashpw prefix=b\"2a\"", "password",
     py_bcrypt("password", 4, prefix=b"2a"), "ok"),
    ("bcrypt 2y", "htpasswd -nbB -C 4", "correct horse battery staple",
     htpasswd("correct horse battery staple", 4), "ok"),
    ("bcrypt 2y full-width raw", "htpasswd -nbB -C 4", FULLWIDTH,
     htpasswd(FULLWIDTH, 4), "ok"),
]

json.dump(
    [dict(name=n, tool=tool, password=pw, hash=h, want=want) for n, tool, pw, h, want in vectors],
    sys.stdout, ensure_ascii=True, indent=1,
)
sys.stdout.write("\n")
