//! nn-core's numeric kernels: softmax, sigmoid and the checked dot, at the
//! sizes a batch-100 MNIST network sees.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ndarray::Array2;
use nn_core::{activation::sigmoid, dot, init::gaussian, rng::seeded, softmax};
use std::hint::black_box;

fn kernels(c: &mut Criterion) {
    let mut rng = seeded(0);
    let scores: Array2<f32> = gaussian((100, 10), 3.0, &mut rng).expect("valid std");
    let hidden: Array2<f32> = gaussian((100, 50), 1.0, &mut rng).expect("valid std");
    let x: Array2<f32> = gaussian((100, 784), 1.0, &mut rng).expect("valid std");
    let w: Array2<f32> = gaussian((784, 50), 0.01, &mut rng).expect("valid std");

    let mut group = c.benchmark_group("core");
    group.throughput(Throughput::Elements(100));
    group.bench_function(BenchmarkId::new("softmax", "100x10"), |b| {
        b.iter(|| softmax(black_box(&scores)))
    });
    group.bench_function(BenchmarkId::new("sigmoid", "100x50"), |b| {
        b.iter(|| sigmoid(black_box(&hidden)))
    });
    group.bench_function(BenchmarkId::new("dot", "100x784x50"), |b| {
        b.iter(|| dot(black_box(&x), black_box(&w)))
    });
    group.finish();
}

criterion_group!(benches, kernels);
criterion_main!(benches);
