//! `np.dot` for 1-D and 2-D operands, with NumPy's error message.

use ndarray::{ArrayBase, ArrayD, Data, Dimension, Ix1, Ix2};

use crate::{Error, Float, Result, Shape};

/// The product of `a` and `b` with NumPy's `np.dot` semantics for 1-D and 2-D
/// operands:
///
/// | `a`      | `b`      | result                                  |
/// |----------|----------|-----------------------------------------|
/// | `(n,)`   | `(n,)`   | `()`: Σᵢ aᵢ·bᵢ                          |
/// | `(m, n)` | `(n,)`   | `(m,)`: yᵢ = Σⱼ aᵢⱼ·bⱼ                  |
/// | `(n,)`   | `(n, p)` | `(p,)`: yⱼ = Σᵢ aᵢ·bᵢⱼ                  |
/// | `(m, n)` | `(n, p)` | `(m, p)`: yᵢⱼ = Σₖ aᵢₖ·bₖⱼ              |
///
/// The contracted axes are the last of `a` and the first of `b`.
///
/// # Errors
/// [`Error::NotAligned`] when the contracted dimensions differ, with NumPy's
/// message; [`Error::BadRank`] for 0-D or higher-than-2-D operands.
///
/// # Example
/// The notes' neural-network inner product, `(2,) · (2, 3) → (3,)`:
/// ```
/// use ndarray::array;
///
/// let x = array![1.0, 2.0];
/// let w = array![[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]];
/// let y = nn_core::dot(&x, &w)?;
/// assert_eq!(y, array![5.0, 11.0, 17.0].into_dyn());
/// # Ok::<(), nn_core::Error>(())
/// ```
pub fn dot<T, S1, S2, D1, D2>(a: &ArrayBase<S1, D1>, b: &ArrayBase<S2, D2>) -> Result<ArrayD<T>>
where
    T: Float,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
    D1: Dimension,
    D2: Dimension,
{
    const OP: &str = "dot";
    for x in [a.shape(), b.shape()] {
        if x.is_empty() || x.len() > 2 {
            return Err(Error::BadRank {
                op: OP,
                expected: "1-D or 2-D operands",
                got: Shape::from(x),
            });
        }
    }
    let (left_axis, right_axis) = (a.ndim() - 1, 0);
    if a.shape()[left_axis] != b.shape()[right_axis] {
        return Err(Error::NotAligned {
            op: OP,
            left: Shape::from(a.shape()),
            right: Shape::from(b.shape()),
            left_axis,
            right_axis,
        });
    }
    // The ranks were checked above, so each conversion below succeeds.
    let a = a.view().into_dyn();
    let b = b.view().into_dyn();
    let out = match (a.ndim(), b.ndim()) {
        (1, 1) => {
            let (a, b) = (
                a.into_dimensionality::<Ix1>(),
                b.into_dimensionality::<Ix1>(),
            );
            ndarray::arr0(a.expect("rank 1").dot(&b.expect("rank 1"))).into_dyn()
        }
        (1, 2) => {
            let (a, b) = (
                a.into_dimensionality::<Ix1>(),
                b.into_dimensionality::<Ix2>(),
            );
            a.expect("rank 1").dot(&b.expect("rank 2")).into_dyn()
        }
        (2, 1) => {
            let (a, b) = (
                a.into_dimensionality::<Ix2>(),
                b.into_dimensionality::<Ix1>(),
            );
            a.expect("rank 2").dot(&b.expect("rank 1")).into_dyn()
        }
        _ => {
            let (a, b) = (
                a.into_dimensionality::<Ix2>(),
                b.into_dimensionality::<Ix2>(),
            );
            a.expect("rank 2").dot(&b.expect("rank 2")).into_dyn()
        }
    };
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{arr0, array, Array3};

    #[test]
    fn not_aligned_matches_numpy_message() {
        let a = array![[1.0_f32, 2.0, 3.0], [4.0, 5.0, 6.0]];
        let c = array![[1.0_f32, 2.0], [3.0, 4.0]];
        let err = dot(&a, &c).unwrap_err();
        assert!(err
            .to_string()
            .contains("shapes (2, 3) and (2, 2) not aligned: 3 (dim 1) != 2 (dim 0)"));

        let v = array![1.0, 2.0, 3.0];
        let err = dot(&v, &array![[1.0, 2.0], [3.0, 4.0]]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "dot: shapes (3,) and (2, 2) not aligned: 3 (dim 0) != 2 (dim 0)"
        );
    }

    #[test]
    fn vector_vector_is_a_scalar() {
        let r = dot(&array![1.0, 2.0, 3.0], &array![4.0, 5.0, 6.0]).unwrap();
        assert_eq!(r, arr0(32.0).into_dyn());
    }

    #[test]
    fn higher_ranks_are_rejected() {
        let t = Array3::<f64>::zeros((2, 2, 2));
        let err = dot(&t, &array![1.0, 2.0]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "dot: expected 1-D or 2-D operands, got shape (2, 2, 2)"
        );
        let err = dot(&array![1.0], &arr0(1.0)).unwrap_err();
        assert!(err.to_string().contains("got shape ()"));
    }
}
