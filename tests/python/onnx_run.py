"""Runs an ONNX model exported by nn with onnxruntime, after onnx's checker.

usage: onnx_run.py MODEL INPUT.bin N OUTPUT.bin
INPUT.bin holds N samples as little-endian float32 in the model's input
shape; the outputs are written the same way.
"""
import sys

import numpy as np
import onnx
import onnxruntime as ort

model_path, input_path, n, output_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
model = onnx.load(model_path)
onnx.checker.check_model(model, full_check=True)
session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
inp = session.get_inputs()[0]
shape = [n] + [int(d) for d in inp.shape[1:]]
x = np.fromfile(input_path, dtype="<f4").reshape(shape)
(y,) = session.run(None, {inp.name: x})
y.astype("<f4").tofile(output_path)
print(inp.name, shape, "->", session.get_outputs()[0].name, list(y.shape))
