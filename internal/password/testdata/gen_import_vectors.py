#!/usr/bin/python3
"""Generate import_vectors.json: hashes made by the stacks users are imported from.

`latchkey import` accepts Django's, passlib's and Devise's hash formats, so
these vectors come from those real libraries (Django's hashers, passlib's
handlers, Devise::Encryptor on ruby-bcrypt), never from Latchkey's code.
Costs are lowered where the library allows it, so the Go tests stay quick;
one vector of each PBKDF2 kind keeps the library's default iterations. See
README.md for the command and the package versions used:

    apt-get install -y python3-django python3-passlib python3-bcrypt python3-argon2 ruby-bcrypt ruby-devise
    /usr/bin/python3 internal/password/testdata/gen_import_vectors.py > internal/password/testdata/import_vectors.json
"""

import json
import subprocess
import sys

import django
from django.conf import settings

settings.configure()
django.setup()

from django.contrib.auth import hashers  # noqa: E402
from passlib import hash as passlib_hash  # noqa: E402

FULLWIDTH = "ｐａｓｓｗｏｒｄ１２３"  # NFKC: "password123"
LONG = "0123456789" * 10  # 100 bytes: plain bcrypt only reads the first 72
PEPPER = "4f1c" * 32  # 128 hex characters, as `rails secret` gives a Devise pepper


# Django: each hasher's encode, with its own salt; the cost lowered by
# subclassing, as a Django project does in settings.
class CheapArgon2(hashers.Argon2PasswordHasher):
    time_cost, memory_cost, parallelism = 1, 256, 1


class CheapBcryptSHA256(hashers.BCryptSHA256PasswordHasher):
    rounds = 4


class CheapBcrypt(hashers.BCryptPasswordHasher):
    rounds = 4


def django_pbkdf2(password, iterations=None, sha1=False):
    h = hashers.PBKDF2SHA1PasswordHasher() if sha1 else hashers.PBKDF2PasswordHasher()
    return h.encode(password, h.salt(), iterations)


def django(hasher, password):
    h = hasher()
    return h.encode(password, h.salt())


def devise(password, pepper, stretches=4):
    """Devise::Encryptor.digest, the way a Devise model calls it."""
    script = r"""
        require "json"
        require "active_support/core_ext/object/blank"
        require "devise/encryptor"
        args = JSON.parse(STDIN.read)
        klass = Struct.new(:pepper, :stretches).new(args["pepper"], args["stretches"])
        print Devise::Encryptor.digest(klass, args["password"])
    """
    return subprocess.run(
        ["ruby", "-e", script], check=True, capture_output=True, text=True,
        input=json.dumps(dict(password=password, pepper=pepper, stretches=stretches)),
    ).stdout


P = passlib_hash
vectors = [
    # Django 3.2, django.contrib.auth.hashers.
    ("django pbkdf2_sha256", "Django PBKDF2PasswordHasher iterations=1000", "correct horse battery staple",
     django_pbkdf2("correct horse battery staple", 1000), None),
    ("django pbkdf2_sha256 default iterations", "Django PBKDF2PasswordHasher", "Tr0ub4dor&3",
     django_pbkdf2("Tr0ub4dor&3"), None),
    ("django pbkdf2_sha256 full-width raw", "Django PBKDF2PasswordHasher iterations=1000", FULLWIDTH,
     django_pbkdf2(FULLWIDTH, 1000), None),
    ("django pbkdf2_sha1", "Django PBKDF2SHA1PasswordHasher iterations=1000", "hunter2hunter2",
     django_pbkdf2("hunter2hunter2", 1000, sha1=True), None),
    ("django argon2", "Django Argon2PasswordHasher t=1 m=256 p=1", "correct horse battery staple",
     django(CheapArgon2, "correct horse battery staple"), None),
    ("django argon2 full-width raw", "Django Argon2PasswordHasher t=1 m=256 p=1", FULLWIDTH,
     django(CheapArgon2, FULLWIDTH), None),
    ("django bcrypt_sha256", "Django BCryptSHA256PasswordHasher rounds=4", "correct horse battery staple",
     django(CheapBcryptSHA256, "correct horse battery staple"), None),
    ("django bcrypt_sha256 100-byte password", "Django BCryptSHA256PasswordHasher rounds=4", LONG,
     django(CheapBcryptSHA256, LONG), None),
    ("django bcrypt", "Django BCryptPasswordHasher rounds=4", "p\u00e4ssw\u00f6rd \u2713",
     django(CheapBcrypt, "p\u00e4ssw\u00f6rd \u2713"), None),
    # passlib 1.7.4, passlib.hash.
    ("passlib pbkdf2_sha256", "passlib pbkdf2_sha256 rounds=1000", "correct horse battery staple",
     P.pbkdf2_sha256.using(rounds=1000).hash("correct horse battery staple"), None),
    ("passlib pbkdf2_sha256 default rounds", "passlib pbkdf2_sha256", "Tr0ub4dor&3",
     P.pbkdf2_sha256.hash("Tr0ub4dor&3"), None),
    ("passlib pbkdf2_sha256 empty salt", "passlib pbkdf2_sha256 rounds=1000 salt_size=0", "s3cret pass",
     P.pbkdf2_sha256.using(rounds=1000, salt_size=0).hash("s3cret pass"), None),
    ("passlib pbkdf2_sha256 full-width raw", "passlib pbkdf2_sha256 rounds=1000", FULLWIDTH,
     P.pbkdf2_sha256.using(rounds=1000).hash(FULLWIDTH), None),
    ("passlib pbkdf2_sha512", "passlib pbkdf2_sha512 rounds=1000", "hunter2hunter2",
     P.pbkdf2_sha512.using(rounds=1000).hash("hunter2hunter2"), None),
    ("passlib pbkdf2_sha1", "passlib pbkdf2_sha1 rounds=1000", "hunter2hunter2",
     P.pbkdf2_sha1.using(rounds=1000).hash("hunter2hunter2"), None),
    ("passlib bcrypt_sha256 v2", "passlib bcrypt_sha256 rounds=4", "correct horse battery staple",
     P.bcrypt_sha256.using(rounds=4).hash("correct horse battery staple"), None),
    ("passlib bcrypt_sha256 v2 100-byte password", "passlib bcrypt_sha256 rounds=4", LONG,
     P.bcrypt_sha256.using(rounds=4).hash(LONG), None),
    ("passlib bcrypt_sha256 v2 full-width raw", "passlib bcrypt_sha256 rounds=5", FULLWIDTH,
     P.bcrypt_sha256.using(rounds=5).hash(FULLWIDTH), None),
    ("passlib bcrypt_sha256 v1 2a", "passlib bcrypt_sha256 version=1 ident=2a rounds=4", "correct horse battery staple",
     P.bcrypt_sha256.using(version=1, ident="2a", rounds=4).hash("correct horse battery staple"), None),
    ("passlib bcrypt_sha256 v1 2b", "passlib bcrypt_sha256 version=1 rounds=4", LONG,
     P.bcrypt_sha256.using(version=1, rounds=4).hash(LONG), None),
    # Devise 4.8.1 on ruby-bcrypt: bcrypt over password + pepper.
    ("devise pepper", "Devise::Encryptor.digest stretches=4", "correct horse battery staple",
     devise("correct horse battery staple", PEPPER), PEPPER),
    ("devise pepper 70-byte password", "Devise::Encryptor.digest stretches=4", LONG[:70],
     devise(LONG[:70], PEPPER), PEPPER),
    ("devise pepper full-width raw", "Devise::Encryptor.digest stretches=4", FULLWIDTH,
     devise(FULLWIDTH, PEPPER), PEPPER),
    ("devise short pepper", "Devise::Encryptor.digest stretches=5", "hunter2hunter2",
     devise("hunter2hunter2", "p\u00e9pper", stretches=5), "p\u00e9pper"),
]

out = []
for name, tool, password, h, pepper in vectors:
    v = dict(name=name, tool=tool, password=password, hash=h, want="ok")
    if pepper is not None:
        v["pepper"] = pepper
    out.append(v)
json.dump(out, sys.stdout, ensure_ascii=True, indent=1)
sys.stdout.write("\n")
