#!/usr/bin/env python3
"""Extracts the wire facts of Triton's published protos into a table the Java test reads.

Usage:
  triton_wire_facts.py PROTOC TRITON_COMMON_CHECKOUT COMMIT > triton-wire-facts.tsv

PROTOC is protoc (4.x; Maven's copy lives under ~/.m2/repository/com/google/protobuf/protoc/),
TRITON_COMMON_CHECKOUT a checkout of https://github.com/triton-inference-server/common at COMMIT.
protoc compiles protobuf/grpc_service.proto and protobuf/model_config.proto into a descriptor set;
this script decodes that set with a minimal wire-format reader (no protobuf package needed) and
prints one line per fact:

  message  <full name>
  field    <message> <field> <number> <type> <label> <message/enum type or -> <oneof or ->
  enum     <full name> <value name> <number>
  method   <service> <method> <input> <output> <client streaming> <server streaming>

Only facts are kept (names, numbers, types, labels), never Triton's proto text or comments.
"""
import os
import subprocess
import sys
import tempfile

# google.protobuf.FieldDescriptorProto.Type and .Label numbers (descriptor.proto)
TYPES = {1: "DOUBLE", 2: "FLOAT", 3: "INT64", 4: "UINT64", 5: "INT32", 6: "FIXED64", 7: "FIXED32",
         8: "BOOL", 9: "STRING", 10: "GROUP", 11: "MESSAGE", 12: "BYTES", 13: "UINT32", 14: "ENUM",
         15: "SFIXED32", 16: "SFIXED64", 17: "SINT32", 18: "SINT64"}
LABELS = {1: "OPTIONAL", 2: "REQUIRED", 3: "REPEATED"}


def varint(buf, pos):
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def fields(buf):
    """(field number, value) pairs of one message; length-delimited values stay bytes."""
    pos, out = 0, []
    while pos < len(buf):
        key, pos = varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = varint(buf, pos)
        elif wire == 2:
            length, pos = varint(buf, pos)
            value, pos = buf[pos:pos + length], pos + length
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ValueError("unexpected wire type %d" % wire)
        out.append((number, value))
    return out


def first(pairs, number, default=None):
    return next((v for n, v in pairs if n == number), default)


def every(pairs, number):
    return [v for n, v in pairs if n == number]


def text(value):
    return value.decode("utf-8")


def enum_facts(scope, enum_bytes, out):
    enum = fields(enum_bytes)  # EnumDescriptorProto: 1 name, 2 value
    name = scope + "." + text(first(enum, 1))
    for value in every(enum, 2):  # EnumValueDescriptorProto: 1 name, 2 number
        v = fields(value)
        number = first(v, 2, 0)
        if number >= 1 << 63:
            number -= 1 << 64
        out.append(("enum", name, text(first(v, 1)), str(number)))


def message_facts(scope, message_bytes, out):
    message = fields(message_bytes)  # DescriptorProto: 1 name, 2 field, 3 nested, 4 enum, 8 oneof_decl
    name = scope + "." + text(first(message, 1))
    out.append(("message", name))
    oneofs = [text(first(fields(o), 1)) for o in every(message, 8)]
    for field_bytes in every(message, 2):
        # FieldDescriptorProto: 1 name, 3 number, 4 label, 5 type, 6 type_name, 9 oneof_index,
        # 17 proto3_optional (a synthetic oneof, which is not a oneof of the wire contract)
        f = fields(field_bytes)
        type_name = first(f, 6)
        oneof_index = first(f, 9)
        oneof = "-"
        if oneof_index is not None and not first(f, 17, 0):
            oneof = oneofs[oneof_index]
        out.append(("field", name, text(first(f, 1)), str(first(f, 3)), TYPES[first(f, 5)],
                    LABELS[first(f, 4)], text(type_name).lstrip(".") if type_name else "-", oneof))
    for nested in every(message, 3):
        message_facts(name, nested, out)
    for enum in every(message, 4):
        enum_facts(name, enum, out)


def main():
    protoc, checkout, commit = sys.argv[1:4]
    with tempfile.TemporaryDirectory() as tmp:
        descriptor_set = os.path.join(tmp, "triton.pb")
        subprocess.run([protoc, "-I" + os.path.join(checkout, "protobuf"), "-o" + descriptor_set,
                        "grpc_service.proto", "model_config.proto"], check=True)
        with open(descriptor_set, "rb") as f:
            files = every(fields(f.read()), 1)  # FileDescriptorSet: 1 file
    out = []
    for file_bytes in files:
        # FileDescriptorProto: 2 package, 4 message_type, 5 enum_type, 6 service
        file = fields(file_bytes)
        package = text(first(file, 2))
        for message in every(file, 4):
            message_facts(package, message, out)
        for enum in every(file, 5):
            enum_facts(package, enum, out)
        for service_bytes in every(file, 6):
            service = fields(service_bytes)  # ServiceDescriptorProto: 1 name, 2 method
            service_name = package + "." + text(first(service, 1))
            for method_bytes in every(service, 2):
                # MethodDescriptorProto: 1 name, 2 input, 3 output, 5 client_streaming, 6 server_streaming
                m = fields(method_bytes)
                out.append(("method", service_name, text(first(m, 1)), text(first(m, 2)).lstrip("."),
                            text(first(m, 3)).lstrip("."), str(bool(first(m, 5, 0))).lower(),
                            str(bool(first(m, 6, 0))).lower()))
    print("# Wire facts of Triton's protos (protobuf/grpc_service.proto, protobuf/model_config.proto)")
    print("# from https://github.com/triton-inference-server/common at commit %s." % commit)
    print("# Those files are Copyright (c) NVIDIA CORPORATION, BSD-3-Clause; this table holds only")
    print("# names, numbers, types and labels, extracted by src/test/python/triton_wire_facts.py.")
    print("# Regenerate: python3 src/test/python/triton_wire_facts.py PROTOC CHECKOUT COMMIT > this file")
    for fact in out:
        print("\t".join(fact))


if __name__ == "__main__":
    main()
