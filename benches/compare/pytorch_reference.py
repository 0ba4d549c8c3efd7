#!/usr/bin/env python3
"""PyTorch reference for `cargo xtask compare`: the same three networks as nn,
same shapes, same initialisation scheme, same optimizer settings, f32, CPU.

    pytorch_reference.py bench --model two-layer --mode train --threads 2
    pytorch_reference.py mnist-epoch --model simple-conv --data-dir ../shared/data

`bench` times training steps (forward + backward + optimizer update, batch
100) or inference (forward only, batch 1000, no autograd) on random
MNIST-shaped data, exactly as `nn bench` does, and prints one line ending in
"<N> samples/s". `mnist-epoch` trains one epoch on real MNIST (for the peak
memory comparison) and prints the test accuracy.

The networks (the book's, as nn builds them):
  two-layer    Linear(784, 50) - ReLU - Linear(50, 10); weights 0.01 * N(0, 1),
               biases 0; SGD lr 0.1
  simple-conv  Conv2d(1, 30, 5) - ReLU - MaxPool(2) - Linear(4320, 100) - ReLU -
               Linear(100, 10); weights 0.01 * N(0, 1); Adam lr 0.001
  deep-conv    six 3x3 convs (16, 16, 32, 32, 64, 64 filters, padding 1 but the
               fourth's 2), ReLU after each, MaxPool(2) after each pair,
               Linear(1024, 50) - ReLU - Dropout(0.5) - Linear(50, 10) -
               Dropout(0.5); He init (std sqrt(2 / fan-in)); Adam lr 0.001
The loss is softmax cross-entropy averaged over the batch
(`nn.CrossEntropyLoss`), as nn's SoftmaxWithLoss.
"""

import argparse
import gzip
import math
import os
import sys
import time

import numpy as np
import torch
from torch import nn


def gaussian_(module, std_of):
    """Weights N(0, std_of(fan_in)^2), biases 0, for every conv and linear layer."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            fan_in = m.weight[0].numel()
            with torch.no_grad():
                m.weight.normal_(0.0, std_of(fan_in))
                m.bias.zero_()
    return module


def two_layer():
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 50), nn.ReLU(), nn.Linear(50, 10))
    return gaussian_(net, lambda _: 0.01), lambda p: torch.optim.SGD(p, lr=0.1)


def simple_conv():
    net = nn.Sequential(
        nn.Conv2d(1, 30, 5),
        nn.ReLU(),
        nn.MaxPool2d(2, 2),
        nn.Flatten(),
        nn.Linear(30 * 12 * 12, 100),
        nn.ReLU(),
        nn.Linear(100, 10),
    )
    return gaussian_(net, lambda _: 0.01), lambda p: torch.optim.Adam(p, lr=0.001)


def deep_conv():
    layers, c = [], 1
    for i, (filters, pad) in enumerate(zip([16, 16, 32, 32, 64, 64], [1, 1, 1, 2, 1, 1])):
        layers += [nn.Conv2d(c, filters, 3, padding=pad), nn.ReLU()]
        if i % 2 == 1:
            layers.append(nn.MaxPool2d(2, 2))
        c = filters
    layers += [
        nn.Flatten(),
        nn.Linear(64 * 4 * 4, 50),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(50, 10),
        nn.Dropout(0.5),
    ]
    net = nn.Sequential(*layers)
    return gaussian_(net, lambda fan_in: math.sqrt(2.0 / fan_in)), lambda p: torch.optim.Adam(
        p, lr=0.001
    )


MODELS = {"two-layer": two_layer, "simple-conv": simple_conv, "deep-conv": deep_conv}


def random_batches(count, batch, generator):
    """`count` fixed batches of MNIST-shaped data: pixels in [0, 1), labels 0-9."""
    return [
        (
            torch.rand(batch, 1, 28, 28, generator=generator),
            torch.randint(0, 10, (batch,), generator=generator),
        )
        for _ in range(count)
    ]


def bench(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    net, make_optimizer = MODELS[args.model]()
    generator = torch.Generator().manual_seed(1)
    loss_fn = nn.CrossEntropyLoss()
    if args.mode == "train":
        batch = args.batch_size or 100
        batches = random_batches(4, batch, generator)
        optimizer = make_optimizer(net.parameters())
        net.train()

        def step(i):
            x, t = batches[i % len(batches)]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(net(x), t)
            loss.backward()
            optimizer.step()

    else:
        batch = args.batch_size or 1000
        batches = random_batches(2, batch, generator)
        net.eval()

        def step(i):
            with torch.inference_mode():
                net(batches[i % len(batches)][0])

    for i in range(args.warmup):
        step(i)
    steps, start = 0, time.perf_counter()
    while True:
        step(steps)
        steps += 1
        elapsed = time.perf_counter() - start
        if elapsed >= args.seconds:
            break
    rate = steps * batch / elapsed
    print(
        f"pytorch {torch.__version__} {args.model} {args.mode}, batch {batch}, "
        f"{args.threads} threads: {steps} steps in {elapsed:.3f} s, {rate:.1f} samples/s"
    )


def read_idx(path):
    with (gzip.open(path) if path.endswith(".gz") else open(path, "rb")) as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_mnist(data_dir):
    folder = os.path.join(data_dir, "mnist")

    def find(stem):
        for name in (stem + ".gz", stem):
            if os.path.exists(os.path.join(folder, name)):
                return os.path.join(folder, name)
        sys.exit(f"{os.path.join(folder, stem)} not found")

    def images(stem):
        return torch.from_numpy(read_idx(find(stem)).astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)

    def labels(stem):
        return torch.from_numpy(read_idx(find(stem)).astype(np.int64))

    return (
        images("train-images-idx3-ubyte"),
        labels("train-labels-idx1-ubyte"),
        images("t10k-images-idx3-ubyte"),
        labels("t10k-labels-idx1-ubyte"),
    )


def mnist_epoch(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x_train, t_train, x_test, t_test = load_mnist(args.data_dir)
    net, make_optimizer = MODELS[args.model]()
    optimizer = make_optimizer(net.parameters())
    loss_fn = nn.CrossEntropyLoss()
    batch = args.batch_size or 100
    start = time.perf_counter()
    net.train()
    order = torch.randperm(len(x_train))
    for i in range(0, len(x_train), batch):
        idx = order[i : i + batch]
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(net(x_train[idx]), t_train[idx])
        loss.backward()
        optimizer.step()
    # As `nn train` does after an epoch: accuracy on 10,000 training and on
    # all 10,000 test samples, 1,000 at a time.
    net.eval()

    def accuracy(x, t):
        correct = 0
        with torch.inference_mode():
            for i in range(0, len(x), 1000):
                correct += (net(x[i : i + 1000]).argmax(1) == t[i : i + 1000]).sum().item()
        return correct / len(x)

    train_acc = accuracy(x_train[:10000], t_train[:10000])
    test_acc = accuracy(x_test, t_test)
    print(
        f"pytorch {args.model}, one epoch on mnist: train acc {train_acc:.4f}, "
        f"test accuracy {test_acc:.4f}, {time.perf_counter() - start:.1f} s"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("bench", help="time training steps or inference on random data")
    b.add_argument("--model", choices=MODELS, required=True)
    b.add_argument("--mode", choices=["train", "infer"], default="train")
    b.add_argument("--threads", type=int, default=1)
    b.add_argument("--batch-size", type=int, default=None, help="default 100 (train), 1000 (infer)")
    b.add_argument("--warmup", type=int, default=5, help="untimed steps first")
    b.add_argument("--seconds", type=float, default=2.0, help="time steps until this much has passed")
    e = sub.add_parser("mnist-epoch", help="train one epoch on real MNIST")
    e.add_argument("--model", choices=MODELS, default="simple-conv")
    e.add_argument("--threads", type=int, default=2)
    e.add_argument("--batch-size", type=int, default=None)
    e.add_argument("--data-dir", default=os.environ.get("NN_DATA_DIR", ""))
    args = parser.parse_args()
    if args.command == "bench":
        bench(args)
    else:
        mnist_epoch(args)


if __name__ == "__main__":
    main()
