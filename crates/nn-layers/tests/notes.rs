//! The notes' computational-graph examples (the shopping problem), with every
//! number they print.

use nn_layers::{AddLayer, MulLayer};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn buying_two_apples() {
    // 100 per apple, 2 apples, 10% tax → 220; backward from dprice = 1.
    let (apple, apple_num, tax) = (100.0, 2.0, 1.1);
    let (mut mul_apple, mut mul_tax) = (MulLayer::new(), MulLayer::new());
    let apple_price = mul_apple.forward(apple, apple_num);
    let price = mul_tax.forward(apple_price, tax);
    assert!(close(price, 220.0), "{price}");

    let (d_apple_price, d_tax) = mul_tax.backward(1.0).unwrap();
    let (d_apple, d_apple_num) = mul_apple.backward(d_apple_price).unwrap();
    assert!(close(d_apple, 2.2), "{d_apple}");
    assert!(close(d_apple_num, 110.0), "{d_apple_num}");
    assert_eq!(d_tax, 200.0);
}

#[test]
fn buying_apples_and_oranges() {
    // 2 apples at 100 and 3 oranges at 150, 10% tax → 715.
    let (apple, apple_num, orange, orange_num, tax) = (100.0, 2.0, 150.0, 3.0, 1.1);
    let (mut mul_apple, mut mul_orange, mut mul_tax) =
        (MulLayer::new(), MulLayer::new(), MulLayer::new());
    let add = AddLayer;

    let apple_price = mul_apple.forward(apple, apple_num);
    let orange_price = mul_orange.forward(orange, orange_num);
    let all_price = add.forward(apple_price, orange_price);
    let price = mul_tax.forward(all_price, tax);
    assert!(close(price, 715.0), "{price}");

    let (d_all_price, d_tax) = mul_tax.backward(1.0).unwrap();
    let (d_apple_price, d_orange_price) = add.backward(d_all_price);
    let (d_orange, d_orange_num) = mul_orange.backward(d_orange_price).unwrap();
    let (d_apple, d_apple_num) = mul_apple.backward(d_apple_price).unwrap();
    // The notes print: 110 2.2 3.3 165 650.
    assert!(close(d_apple_num, 110.0));
    assert!(close(d_apple, 2.2));
    assert!(close(d_orange, 3.3));
    assert!(close(d_orange_num, 165.0));
    assert!(close(d_tax, 650.0));
}

#[test]
fn backward_before_forward_is_an_error() {
    let err = MulLayer::<f64>::new().backward(1.0).unwrap_err();
    assert_eq!(
        err.to_string(),
        "MulLayer.backward: called before forward(.., Mode::Train); there is nothing to differentiate"
    );
}
