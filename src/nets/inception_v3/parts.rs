//! Finding InceptionV3's tensors by name in the loaded file and folding each
//! batch norm into its convolution.

use std::collections::HashMap;
use std::sync::Arc;

use flex_kernels::frozen_conv::FrozenConv;

use burn::tensor::ops::ConvOptions;
use burn::tensor::{Device, Tensor, TensorData};

use super::{ConvBn, EPS, NetError, Op};
use crate::torch::{ConvLayout, NamedTensor, TensorData as Stored};

/// Weights and layouts by module path, for building.
pub(super) struct Parts<'a> {
    pub(super) tensors: HashMap<&'a str, &'a NamedTensor>,
    pub(super) layouts: HashMap<&'a str, &'a ConvLayout>,
    pub(super) device: &'a Device,
}

impl Parts<'_> {
    fn floats(&self, name: &str) -> Result<(Vec<f32>, Vec<usize>), NetError> {
        let tensor = self
            .tensors
            .get(name)
            .ok_or_else(|| NetError::weights(format!("InceptionV3 weights lack `{name}`")))?;
        match &tensor.data {
            Stored::F32(values) => Ok((values.clone(), tensor.shape.clone())),
            Stored::U8(_) => Err(NetError::weights(format!("`{name}` is not float"))),
        }
    }

    pub(super) fn conv(&self, path: &str) -> Result<ConvBn, NetError> {
        let path = format!("net.layers.{path}");
        let (mut weight, shape) = self.floats(&format!("{path}.weight"))?;
        let (beta, _) = self.floats(&format!("{path}.beta"))?;
        let (mean, _) = self.floats(&format!("{path}.mean"))?;
        let (var, _) = self.floats(&format!("{path}.var"))?;
        let [out, inp, kh, kw] = shape[..] else {
            return Err(NetError::weights(format!(
                "`{path}.weight` has shape {shape:?}"
            )));
        };
        if beta.len() != out || mean.len() != out || var.len() != out {
            return Err(NetError::weights(format!(
                "`{path}` batch norm does not match {out} channels"
            )));
        }
        let layout = self
            .layouts
            .get(path.as_str())
            .ok_or_else(|| NetError::weights(format!("no stride/padding for `{path}`")))?;
        let per_out = inp * kh * kw;
        let mut bias = Vec::with_capacity(out);
        for o in 0..out {
            let scale = 1.0 / (var[o] + EPS).sqrt();
            for w in &mut weight[o * per_out..(o + 1) * per_out] {
                *w *= scale;
            }
            bias.push(beta[o] - mean[o] * scale);
        }
        let padding = layout.padding;
        // On the CPU the network runs channels-last through the frozen layers.
        let frozen = flex_kernels::runs_on(self.device).then(|| {
            Arc::new(FrozenConv::from_oihw(
                &weight,
                [out, inp, kh, kw],
                bias.clone(),
                [layout.stride; 2],
                padding,
                true,
            ))
        });
        Ok(ConvBn {
            frozen,
            weight: Tensor::from_data(TensorData::new(weight, [out, inp, kh, kw]), self.device),
            bias: Tensor::from_data(TensorData::new(bias, [out]), self.device),
            options: ConvOptions::new([layout.stride, layout.stride], layout.padding, [1, 1], 1),
        })
    }

    pub(super) fn convs(&self, block: &str, names: &[&str]) -> Result<Vec<Op>, NetError> {
        names
            .iter()
            .map(|n| self.conv(&format!("{block}.{n}")).map(ConvBn::into_op))
            .collect()
    }
}
