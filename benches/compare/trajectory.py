#!/usr/bin/env python3
"""Replays a short training run of nn's SimpleConvNet in PyTorch, for
`tests/pytorch_trajectory.rs`: the same initial weights, the same batches, and
the book's Adam written out (lr_t = lr sqrt(1 - b2^t) / (1 - b1^t),
m += (1 - b1)(g - m), v += (1 - b2)(g^2 - v), w -= lr_t m / (sqrt(v) + 1e-7)),
so that any difference left is rounding. Prints the loss of each step, one
per line.

    trajectory.py DIR STEPS BATCH

DIR holds what the test wrote, raw little-endian: one `<name>.bin` of f32 per
nn parameter (conv1.weight (30, 1, 5, 5), conv1.bias, affine1.weight
(4320, 100) and affine2.weight (100, 10) in nn's in x out layout, their
biases), x.bin, the STEPS x BATCH images (1, 28, 28) as f32, and t.bin, their
labels as bytes.
"""

import os
import sys

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pytorch_reference  # noqa: E402


def main():
    folder, steps, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(1)

    def read(name, dtype=np.float32):
        return np.fromfile(os.path.join(folder, name + ".bin"), dtype=dtype)

    net, _ = pytorch_reference.simple_conv()
    conv, affine1, affine2 = net[0], net[4], net[6]
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(read("conv1.weight").reshape(30, 1, 5, 5)))
        conv.bias.copy_(torch.from_numpy(read("conv1.bias")))
        for layer, name, shape in [(affine1, "affine1", (4320, 100)), (affine2, "affine2", (100, 10))]:
            layer.weight.copy_(torch.from_numpy(read(name + ".weight").reshape(shape).T.copy()))
            layer.bias.copy_(torch.from_numpy(read(name + ".bias")))
    x = torch.from_numpy(read("x").reshape(steps * batch, 1, 28, 28))
    t = torch.from_numpy(read("t", np.uint8).astype(np.int64))

    params = list(net.parameters())
    m = [torch.zeros_like(p) for p in params]
    v = [torch.zeros_like(p) for p in params]
    loss_of = nn.CrossEntropyLoss()
    lr, beta1, beta2 = 0.001, 0.9, 0.999
    for step in range(1, steps + 1):
        rows = slice((step - 1) * batch, step * batch)
        for p in params:
            p.grad = None
        loss = loss_of(net(x[rows]), t[rows])
        loss.backward()
        lr_t = lr * (1.0 - beta2**step) ** 0.5 / (1.0 - beta1**step)
        with torch.no_grad():
            for p, mp, vp in zip(params, m, v):
                g = p.grad
                mp += (1.0 - beta1) * (g - mp)
                vp += (1.0 - beta2) * (g * g - vp)
                p -= lr_t * mp / (vp.sqrt() + 1e-7)
        print(repr(loss.item()), flush=True)


if __name__ == "__main__":
    main()
