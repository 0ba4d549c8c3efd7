//! Training-step speed of nn-layers + nn-optim at the book's MNIST sizes, on
//! 1 and on 2 threads (ids end in `/t1`, `/t2`). Timing loops run inside a
//! rayon pool of that size, as the trainer's do.
//!
//! - `two_layer_net/train_step`: one TwoLayerNet (784-50-10) step on a batch of
//!   100 in f32: forward, backward, SGD update. The batch is copied into the
//!   network each step, as a training loop gathering mini-batches does.
//! - `two_layer_net/predict`: inference on the same batch.
//! - `affine/*`: the 784 → 50 Affine layer alone, forward (its input copied
//!   outside the timed region) and backward.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ndarray::IxDyn;
use nn_core::{init::uniform, rng::seeded, Tensor};
use nn_layers::{Affine, Layer, Mode, TwoLayerNet};
use nn_optim::{Optimizer, Sgd, SgdConfig};
use nn_workspace::{pool, time_in_pool, time_in_pool_with_setup, BENCH_THREADS};
use std::hint::black_box;

const BATCH: usize = 100;

fn batch() -> (Tensor<f32>, Vec<usize>) {
    let x = uniform(IxDyn(&[BATCH, 784]), 0.0, 1.0, &mut seeded(1)).expect("valid range");
    let t = (0..BATCH).map(|i| (i * 7) % 10).collect();
    (x, t)
}

fn two_layer_net(c: &mut Criterion) {
    let (x, t) = batch();
    let mut net = TwoLayerNet::default().build::<f32>(0).expect("valid spec");
    let mut sgd = Sgd::new(SgdConfig { lr: 0.1 }).expect("valid lr");
    let mut group = c.benchmark_group("two_layer_net");
    group.throughput(Throughput::Elements(BATCH as u64));
    for threads in BENCH_THREADS {
        let pool = pool(threads);
        let id =
            |name: &str| BenchmarkId::new(name.to_string(), format!("batch100_f32/t{threads}"));
        group.bench_function(id("train_step"), |b| {
            b.iter_custom(|iters| {
                time_in_pool(&pool, iters, || {
                    black_box(net.gradient(black_box(&x), &t).expect("shapes fit"));
                    sgd.step(&mut net).expect("grads fit");
                })
            })
        });
        group.bench_function(id("predict"), |b| {
            b.iter_custom(|iters| {
                time_in_pool(&pool, iters, || {
                    black_box(net.predict(black_box(&x)).expect("shapes fit"));
                })
            })
        });
    }
    group.finish();
}

fn affine(c: &mut Criterion) {
    let (x, _) = batch();
    let mut layer =
        Affine::<f32>::init(784, 50, nn_core::init::Init::He, &mut seeded(0)).expect("valid");
    let dout = Tensor::<f32>::ones(IxDyn(&[BATCH, 50]));
    let mut group = c.benchmark_group("affine");
    group.throughput(Throughput::Elements(BATCH as u64));
    for threads in BENCH_THREADS {
        let pool = pool(threads);
        let id = |name: &str| BenchmarkId::new(name.to_string(), format!("100x784x50/t{threads}"));
        group.bench_function(id("forward"), |b| {
            b.iter_custom(|iters| {
                time_in_pool_with_setup(
                    &pool,
                    iters,
                    &mut layer,
                    |_| x.clone(),
                    |layer, x| {
                        black_box(layer.forward(x, Mode::Train).expect("fits"));
                    },
                )
            })
        });
        layer.forward(x.clone(), Mode::Train).expect("fits");
        group.bench_function(id("backward"), |b| {
            b.iter_custom(|iters| {
                time_in_pool(&pool, iters, || {
                    black_box(layer.backward(black_box(dout.clone())).expect("fits"));
                })
            })
        });
        group.bench_function(id("backward_params_only"), |b| {
            b.iter_custom(|iters| {
                time_in_pool(&pool, iters, || {
                    layer
                        .backward_params_only(black_box(dout.clone()))
                        .expect("fits");
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, two_layer_net, affine);
criterion_main!(benches);
