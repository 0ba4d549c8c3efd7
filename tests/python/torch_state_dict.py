"""Saves the state_dict of each PyTorch reference network of
benches/compare/pytorch_reference.py with safetensors, with the network's
outputs on 100 random images, for tests/pytorch_state_dict.rs.

usage: torch_state_dict.py DIR
Writes DIR/<model>.safetensors, DIR/<model>-x.bin (inputs, (100, 1, 28, 28))
and DIR/<model>-y.bin (outputs, (100, 10)), little-endian float32.
"""
import math
import os
import sys

import torch
from safetensors.torch import save_file

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benches", "compare"))
import pytorch_reference  # noqa: E402

out = sys.argv[1]
generator = torch.Generator().manual_seed(5)
for name, make in pytorch_reference.MODELS.items():
    net, _ = make()
    # Weights of scale 1/sqrt(fan-in) and biases of 0.1, so that the
    # outputs are of order one and every bias matters.
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.randn(m.weight.shape, generator=generator) * 1.5 / math.sqrt(fan_in))
                m.bias.copy_(torch.randn(m.bias.shape, generator=generator) * 0.1)
    net.eval()
    x = torch.rand((100, 1, 28, 28), generator=generator)
    with torch.no_grad():
        y = net(x)
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, os.path.join(out, f"{name}.safetensors"))
    x.numpy().astype("<f4").tofile(os.path.join(out, f"{name}-x.bin"))
    y.numpy().astype("<f4").tofile(os.path.join(out, f"{name}-y.bin"))
    print(name, sorted(net.state_dict()))
