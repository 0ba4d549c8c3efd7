//! Convolutional layers and networks at batch 100, f32, on 1 and 2 threads
//! (ids end in `/t1`, `/t2`); timing loops run inside a rayon pool with warm
//! workers, as the trainer's do.
//!
//! - `conv/*`: SimpleConvNet's layer (1→30, 5×5, 28×28; first layer, so its
//!   backward is params-only) and DeepConvNet's 16→16 (28×28) and 64→64 (8×8)
//!   3×3 layers, forward and backward. The tensor each call consumes is
//!   copied outside the timed region. The input each call consumes is copied
//!   outside the timed region.
//! - `pool/max`: 2×2 stride-2 max pooling of SimpleConvNet's 30×24×24 maps.
//! - `simple_conv_net/train_step`, `deep_conv_net/train_step`: forward,
//!   backward and an Adam update on random MNIST-shaped data.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ndarray::IxDyn;
use nn_conv::{Convolution, DeepConvNet, Pooling, SimpleConvNet};
use nn_core::{init::uniform, init::Init, rng::seeded, Tensor};
use nn_layers::{Layer, Mode, Network};
use nn_optim::{Adam, AdamConfig, Optimizer};
use nn_workspace::{pool, time_in_pool, time_in_pool_with_setup, BENCH_THREADS};
use std::hint::black_box;

const BATCH: usize = 100;

fn random(shape: &[usize], seed: u64) -> Tensor<f32> {
    uniform(IxDyn(shape), 0.0, 1.0, &mut seeded(seed)).expect("valid range")
}

fn layers(c: &mut Criterion) {
    let mut group = c.benchmark_group("conv");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.sample_size(30);
    // (name, input channels, filters, kernel, pad, image side, first layer)
    let cases = [
        ("simple_1to30_5x5_28", 1, 30, 5, 0, 28, true),
        ("deep_16to16_3x3_28", 16, 16, 3, 1, 28, false),
        ("deep_64to64_3x3_8", 64, 64, 3, 1, 8, false),
    ];
    for (name, cin, cout, k, pad, side, first) in cases {
        let x = random(&[BATCH, cin, side, side], 1);
        let mut conv =
            Convolution::<f32>::init(cin, cout, [k, k], 1, pad, Init::He, &mut seeded(2))
                .expect("valid");
        let out = conv.forward(x.clone(), Mode::Train).expect("fits");
        let dout = random(out.shape(), 3);
        for threads in BENCH_THREADS {
            let pool = pool(threads);
            group.bench_function(
                BenchmarkId::new(format!("{name}/forward"), format!("t{threads}")),
                |b| {
                    b.iter_custom(|iters| {
                        time_in_pool_with_setup(
                            &pool,
                            iters,
                            &mut conv,
                            |_| x.clone(),
                            |conv, x| {
                                black_box(conv.forward(x, Mode::Train).expect("fits"));
                            },
                        )
                    })
                },
            );
            group.bench_function(
                BenchmarkId::new(format!("{name}/backward"), format!("t{threads}")),
                |b| {
                    b.iter_custom(|iters| {
                        time_in_pool_with_setup(
                            &pool,
                            iters,
                            &mut conv,
                            |_| dout.clone(),
                            |conv, d| {
                                if first {
                                    conv.backward_params_only(d).expect("fits");
                                } else {
                                    black_box(conv.backward(d).expect("fits"));
                                }
                            },
                        )
                    })
                },
            );
        }
    }
    group.finish();

    let mut group = c.benchmark_group("pool");
    group.throughput(Throughput::Elements(BATCH as u64));
    let x = random(&[BATCH, 30, 24, 24], 4);
    let mut max = Pooling::<f32>::max(2, 2, 2, 0).expect("valid");
    let dout = random(&[BATCH, 30, 12, 12], 5);
    for threads in BENCH_THREADS {
        let pool = pool(threads);
        group.bench_function(
            BenchmarkId::new("max_2x2_30x24x24", format!("t{threads}")),
            |b| {
                b.iter_custom(|iters| {
                    time_in_pool_with_setup(
                        &pool,
                        iters,
                        &mut max,
                        |_| (x.clone(), dout.clone()),
                        |max, (x, d)| {
                            max.forward(x, Mode::Train).expect("fits");
                            black_box(max.backward(d).expect("fits"));
                        },
                    )
                })
            },
        );
    }
    group.finish();
}

fn train_step(c: &mut Criterion, group_name: &str, mut net: Network<f32>) {
    let x = random(&[BATCH, 1, 28, 28], 6);
    let t: Vec<usize> = (0..BATCH).map(|i| (i * 3) % 10).collect();
    let mut adam = Adam::new(AdamConfig::default()).expect("valid");
    let mut group = c.benchmark_group(group_name);
    group.throughput(Throughput::Elements(BATCH as u64));
    group.sample_size(20);
    for threads in BENCH_THREADS {
        let pool = pool(threads);
        group.bench_function(
            BenchmarkId::new("train_step", format!("batch100_f32/t{threads}")),
            |b| {
                b.iter_custom(|iters| {
                    time_in_pool(&pool, iters, || {
                        black_box(net.gradient(black_box(&x), &t).expect("fits"));
                        adam.step(&mut net).expect("fits");
                    })
                })
            },
        );
    }
    group.finish();
}

fn networks(c: &mut Criterion) {
    train_step(
        c,
        "simple_conv_net",
        SimpleConvNet::default().build(0).expect("valid"),
    );
    train_step(
        c,
        "deep_conv_net",
        DeepConvNet::default().build(0).expect("valid"),
    );
}

criterion_group!(benches, layers, networks);
criterion_main!(benches);
