#!/usr/bin/env python3
"""Write the seed corpora tests/fuzz/corpus/<target>/seed-NNN.

The seeds are committed; run this only to regenerate them (it replaces
every seed-* file and leaves other files, such as regression inputs, alone):

    python3 tests/fuzz/make_seeds.py

The handshake seeds are whole transcripts for the fixed keys and nonce of
fuzz_handshake.c, with the right MACs, so that the fuzzer starts from
handshakes that succeed and mutates their later steps.
"""

import glob
import hashlib
import hmac
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

# ---- record -------------------------------------------------------------

TYPICAL = (b'{"ts":"2026-11-27T13:37:24.123456Z","level":"info",'
           b'"msg":"GET /api/v1/users/1234 200 in 3.2 ms","path":"/api/v1/users/1234",'
           b'"status":200,"ms":3.2,"user":"alice","req":"7f3a9c","tags":["web","prod"]}')


def nest(open_, close, n, inner):
    return b'{"a":' + open_ * n + inner + close * n + b'}'


RECORD = [
    b'{}', b'{ }', b'{}\r\n', b'{\n}', b'{"a":1}', b'{ "a" : 1 , "b" :\t[ 1 ,2 ] }',
    b'{"a":{"b":[1,2,{"c":[]}]},"d":[[[]]],"e":{}}',
    TYPICAL,
    b'{"u":"\\u00e9\\u20AC\\u0041"}', b'{"s":"\\ud83d\\ude00"}', b'{"s":"\\uDBFF\\uDFFF"}',
    '{"r":"h\u00e9llo \u20ac \U0001F600","\u00e9":"\uffff"}'.encode(),
    b'{"id":18446744073709551615}',
    b'{"n":-9223372036854775809,"m":123456789012345678901234567890}',
    b'{"f":1.5e-300,"g":-0,"h":1E+308,"i":0.0,"j":1e-400}',
    b'{"t":true,"f":false,"n":null}', b'{"e":"\\"\\\\\\/\\b\\f\\n\\r\\t"}',
    b'{\r\n"a":1,\n"b":[1,\r2]\n}\r\n', b'{"a":{"_x":1},"x_":[{"_y":2}]}', b'{"":0,"a":1,"a":2}',
    # numbers near the overflow of a double
    b'{"a":1.7976931348623157e308}', b'{"a":1.7976931348623159e308}',
    b'{"a":-1.797693134862315807e308}', b'{"a":1e309}', b'{"a":0e99999}',
    b'{"a":' + b'9' * 309 + b'}', b'{"a":0.' + b'0' * 400 + b'1e400}',
    # which error jansson meets first
    b'{"a":1e400\xff}', b'{"a":"\\ud800 \xff"}', b'{"a":"\\ud800"\xff}', b'{"a":truex\xff}',
    b'{"\\u0000" \xff', b'{"a":"\\u12\xff"}',
    # jansson loses a NUL byte put back after a number or a literal
    b'{"a":1\x00}', b'{"a":true\x00,"b":"\xff"}', b'{"a":[1\x00,null\x00]}', b'{"_a":1\x00}',
    # refused
    b'{"a":01}', b'{"a":-}', b'{"a":1.}', b'{"a":1e+}', b'{"a":tru}', b'{"a":NaN}',
    b'{"a":"\\u0000"}', b'{"\\u0000":1}', b'{"a":"x\ny"}', b'{"a":"\\x41"}',
    b'{"a":"\\ud800"}', b'{"a":"\\ude00\\ud83d"}', b'{"a":"\\ud800\\u0041"}',
    b'{"a":"\xc0\xaf"}', b'{"a":"\xed\xa0\x80"}', b'{"a":"\xf4\x90\x80\x80"}', b'{"a":"\xe2\x82"}',
    b'{"a":"ok"} \xff', b'{} \xc3\xa9', b'{}x', b'{}{}', b'{"a":1,}', b'{"a" 1}', b'{"a":1 "b":2}',
    b'{\x0c}',
    # reserved names
    b'{"_sid":"x"}', b'{"a":1,"\\u005fsid":2}', b'{"\\u005Fseq":2}', b'{"_a":1,x}',
    # nesting around jansson's limit (2048 levels, scalars count one)
    nest(b'[', b']', 2047, b''), nest(b'[', b']', 2046, b'1'), nest(b'[', b']', 2047, b'1'),
    nest(b'[', b']', 2047, b'"\\ud800"'), nest(b'[', b']', 2047, b'"\\u0000"'),
    nest(b'[', b']', 2047, b'1e999'), nest(b'[', b']', 2048, b''),
    nest(b'{"a":', b'}', 2046, b'{}'), nest(b'{"a":', b'}', 2047, b'1'),
    b'{"a":' + b'{"a":' * 2047 + b'}', b'{"a":' + b'[' * 2047 + b'1,',
    # nesting around a lower limit: fuzz_record also checks at depth
    # 2 + (last byte % 128): 127 after '}', 12 after '\n', 34 after ' '
    nest(b'[', b']', 126, b''), nest(b'[', b']', 127, b''), nest(b'[', b']', 125, b'1'),
    nest(b'[', b']', 126, b'"x"'), nest(b'{"a":', b'}', 125, b'{}'),
    nest(b'[', b']', 11, b'') + b'\n', nest(b'[', b']', 12, b'') + b'\n',
    nest(b'[', b']', 33, b'') + b' ', nest(b'[', b']', 34, b'[1 2]') + b' ',
    b'{"a":' + b'[' * 200 + b'1 2' + b' ',
]

# ---- frame --------------------------------------------------------------


def frame(payload):
    return struct.pack('>i', len(payload)) + payload


FRAME = [
    # byte 0: max selector, bytes 1-2: split seed, then the stream
    b'\x40\x00\x01' + frame(b'{"a":1}') + frame(b'') + frame(b'\x05'),
    b'\x08\x12\x34' + frame(b'0123456789') + frame(b'ok'),         # oversize, then a frame
    b'\x7f\xff\xff' + frame(TYPICAL[:100]) + frame(b'x' * 20),
    b'\x10\x00\x00' + b'\xff\xff\xff\xff' + b'\x00' * 8,            # CPython's 8-byte extension
    b'\x10\x00\x00' + b'\x80\x00\x00\x01',                          # negative length
    b'\x10\x00\x07' + frame(b'abc') + b'\x00\x00\x00',              # cut header
    b'\x10\x00\x07' + frame(b'abcdef')[:7],                         # cut payload
    b'\x88\x00\x02' + frame(b'y' * 300) + frame(b'z'),              # max 4096
    b'\x80\x99\x99' + struct.pack('>I', 0x7fffffff) + b'q' * 32,    # max 0: everything oversize
]

# ---- handshake ----------------------------------------------------------

KEY0 = bytes(range(32))
KEY1 = b'sixteen byte key'
WRONG = b'not the right k!'
NONCE = b'N' * 40
CHAL = b'{sha256}' + NONCE


def msgs(*ms):
    out = b''
    for m in ms:
        if len(m) >= 255:
            out += b'\xff' + struct.pack('>H', len(m))
        else:
            out += bytes([len(m)])
        out += m
    return out


def answer(key, chal, name='sha256'):
    return b'{' + name.encode() + b'}' + hmac.new(key, chal, name).digest()


CLIENT_NONCE = bytes(range(100, 140))
CLIENT_CHAL = b'{sha256}' + CLIENT_NONCE
LEGACY_CHAL = bytes(range(20))

HANDSHAKE = [
    # mode 0: the server, fixed keyring and nonce
    b'\x00' + msgs(answer(KEY0, CHAL), b'#CHALLENGE#' + CLIENT_CHAL, b'#WELCOME#'),
    b'\x00' + msgs(answer(KEY1, CHAL), b'#CHALLENGE#' + CLIENT_CHAL, b'#FAILURE#'),
    b'\x00' + msgs(answer(KEY0, CHAL, 'sha3_384'), b'#CHALLENGE#{sha384}' + CLIENT_NONCE,
                   b'#WELCOME#', b'extra'),
    b'\x00' + msgs(answer(WRONG, CHAL)),
    b'\x00' + msgs(b'x' * 300),
    b'\x04' + msgs(hmac.new(KEY0, CHAL, 'md5').digest(), b'#CHALLENGE#' + LEGACY_CHAL,
                   b'#WELCOME#'),
    b'\x04' + msgs(answer(KEY1, CHAL, 'md5'), b'#CHALLENGE#{md5}' + CLIENT_NONCE, b'#WELCOME#'),
    b'\x00' + msgs(hmac.new(KEY0, CHAL, 'md5').digest()),
    # mode 1: the client, key KEY0 and the fixed nonce
    b'\x01' + msgs(b'#CHALLENGE#' + b'{sha256}' + CLIENT_NONCE, b'#WELCOME#',
                   answer(KEY0, CHAL)),
    b'\x01' + msgs(b'#CHALLENGE#' + b'{sha3_256}' + CLIENT_NONCE, b'#WELCOME#',
                   answer(KEY0, CHAL, 'sha384')),
    b'\x01' + msgs(b'#CHALLENGE#' + LEGACY_CHAL),
    b'\x01' + msgs(b'#CHALLENGE#' + b'{sha256}' + CLIENT_NONCE, b'#FAILURE#'),
    b'\x01' + msgs(b'#CHALLENGE#' + b'{sha256}' + CLIENT_NONCE, b'#WELCOME#',
                   answer(WRONG, CHAL)),
    # mode 2/3: a pair; nonces, then tamper (message, offset, xor)
    b'\x02' + NONCE + CLIENT_NONCE,
    b'\x06' + NONCE + CLIENT_NONCE,
    b'\x02' + NONCE + CLIENT_NONCE + b'\x01\x10\x01',
    b'\x03' + NONCE + CLIENT_NONCE + b'\x03\x05\x80',
    b'\x02' + NONCE + CLIENT_NONCE + b'\x05\x00\x20',
]


def write(target, seeds):
    d = os.path.join(HERE, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    for old in glob.glob(os.path.join(d, 'seed-*')):
        os.remove(old)
    for i, s in enumerate(seeds):
        with open(os.path.join(d, 'seed-%03d' % i), 'wb') as f:
            f.write(s)
    print('%-10s %3d seeds' % (target, len(seeds)))


def main():
    write('record', RECORD)
    write('frame', FRAME)
    write('handshake', HANDSHAKE)


if __name__ == '__main__':
    main()
