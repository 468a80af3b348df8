#!/usr/bin/python3
"""Runs one Triton repository entry's model.py as Triton's Python backend would, on CPU.

  run_python_backend.py <model folder> <version> <model config JSON file> <calls JSON file> <answers JSON file>

The calls file holds {"calls": [[request, ...], ...]}: each inner list is one execute() call (as
Triton's batchers hand several requests to one call); a request is {"inputs": {name: {"datatype":
"INT64" | "INT32" | "FP32" | "BYTES", "shape": [...], "data": [...]}}, "outputs": [name, ...]}.
The answers file gets {"calls": [[{"error": message or null, "outputs": {name: {"shape", "data"}}}]]}
with float32 values written as exact decimal doubles. The import path must reach the stand-in
triton_python_backend_utils (this folder).
"""
import importlib.util
import json
import os
import sys

import numpy as np

import triton_python_backend_utils as pb_utils

DTYPES = {"INT64": np.int64, "INT32": np.int32, "FP32": np.float32, "BYTES": np.object_}


def to_array(spec):
    if spec["datatype"] == "BYTES":
        values = [v.encode("utf-8") for v in spec["data"]]
        return np.array(values, dtype=np.object_).reshape(spec["shape"])
    return np.array(spec["data"], dtype=DTYPES[spec["datatype"]]).reshape(spec["shape"])


def to_json(array):
    if array.dtype == np.object_:
        data = [v.decode("utf-8") for v in array.reshape(-1)]
    else:
        data = array.reshape(-1).tolist()
    return {"shape": list(array.shape), "data": data}


def main(model_dir, version, config_file, calls_file, answers_file):
    spec = importlib.util.spec_from_file_location("model", os.path.join(model_dir, version, "model.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with open(config_file) as f:
        model_config = f.read()
    model = module.TritonPythonModel()
    model.initialize({"model_config": model_config, "model_repository": model_dir, "model_version": version,
                      "model_name": os.path.basename(model_dir), "model_instance_kind": "CPU",
                      "model_instance_name": os.path.basename(model_dir) + "_0", "model_instance_device_id": "0"})
    with open(calls_file) as f:
        calls = json.load(f)["calls"]
    answers = []
    for call in calls:
        requests = [pb_utils.InferenceRequest([pb_utils.Tensor(n, to_array(s)) for n, s in r["inputs"].items()], r["outputs"])
                    for r in call]
        responses = model.execute(requests)
        if len(responses) != len(requests):
            raise AssertionError(f"{len(responses)} responses to {len(requests)} requests")
        answers.append([{"error": r.error().message() if r.has_error() else None,
                         "outputs": {t.name(): to_json(t.as_numpy()) for t in r.output_tensors()}} for r in responses])
    model.finalize()
    with open(answers_file, "w") as f:
        json.dump({"calls": answers}, f)


if __name__ == "__main__":
    main(*sys.argv[1:6])
