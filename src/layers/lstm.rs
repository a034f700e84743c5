//! The LSTM layer of the book's char model, from zero initial state to the
//! last hidden state: one fused CPU kernel on burn-flex, burn's operations
//! step by step elsewhere.

use burn::tensor::Tensor;
use flex_kernels::lstm;

use super::cpu_kernels;

/// Projected inputs `[time, batch, 4·units]` (gates i, f, o, c, bias
/// included) and recurrent kernel `[units, 4·units]` → the last hidden state
/// `[batch, units]`.
pub fn lstm_last(inputs: Tensor<3>, recurrent: Tensor<2>) -> Tensor<2> {
    if cpu_kernels(&inputs.device()) {
        return lstm::lstm_last(inputs, recurrent);
    }
    lstm::lstm_last_composed(inputs, recurrent)
}
