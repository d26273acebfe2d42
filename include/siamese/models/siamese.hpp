// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/kernels/elementwise.hpp>
#include <siamese/layers/layer.hpp>
#include <siamese/layers/linear.hpp>
#include <siamese/random.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace siamese {

namespace detail {

/// Stands in for a Backbone that is not a Layer, so that the static_assert in Siamese is the
/// only error a user sees, not a cascade from the member functions.
struct NotALayer {
    using value_type = float;
    [[nodiscard]] std::string name() const { return {}; }
    [[nodiscard]] Shape output_shape(const Shape& s) const { return s; }
    const Tensor<float>& forward(const Tensor<float>& x) { return x; }
    const Tensor<float>& backward(const Tensor<float>& g) { return g; }
    [[nodiscard]] ParamList<float> params() { return {}; }
};

template <class B>
using LayerOrStandIn = std::conditional_t<Layer<B>, B, NotALayer>;

template <class B>
LayerOrStandIn<B> as_layer(B&& b) {
    if constexpr (Layer<std::decay_t<B>>) {
        return std::forward<B>(b);
    } else {
        return NotALayer{};
    }
}

}  // namespace detail

/// A Siamese network: one Backbone with shared weights embeds both images of a pair, and the
/// head scores the pair as logit = Linear(D, 1)(|e_left - e_right|); sigmoid(logit) is the
/// probability that the two images show the same class (label 1 = same).
///
/// Left and right images run through the backbone together as one batch of 2B, so both
/// branches' gradients sum into the shared weights by themselves in one backward pass.
///
/// logits, logits_stacked, logits_from_embeddings, predict and embed return references to
/// buffers the model owns, as layers do: a result holds until the next of these calls, which
/// may overwrite it. Copy one to keep it (`Tensor<float> kept = model.embed(x);`). In
/// particular embed(left) then embed(right) leaves one buffer holding the right embeddings:
/// embed the stacked pairs once instead. backward and backward_embeddings use the caches of
/// the last forward call, whatever loss computed their gradient.
template <class Backbone>
class Siamese {
    static_assert(Layer<Backbone>,
                  "siamese::Siamese<Backbone>: Backbone must satisfy the siamese::Layer concept "
                  "(value_type, name(), output_shape(), forward(), backward(), params())");
    using B = detail::LayerOrStandIn<Backbone>;

public:
    using value_type = typename B::value_type;
    using T = value_type;

    /// image_shape is one image, [C, H, W]; the backbone must map [N, C, H, W] to [N, D].
    /// The head is initialised like PyTorch's Linear from `rng`. The model keeps its own copy
    /// of the backbone (moved in from a temporary): build the optimizer from this model's
    /// params(), since one built from a named backbone's would step that object, not the model.
    Siamese(Backbone backbone, const Shape& image_shape, Rng& rng)
        : backbone_(detail::as_layer(std::move(backbone))),
          image_shape_(image_shape),
          embedding_dim_(embedding_dim_of(backbone_, image_shape)),
          head_(embedding_dim_, 1, rng) {
        // The images are data: nobody needs their gradient.
        if constexpr (InputGradSwitch<B>) backbone_.set_input_grad(false);
    }

    [[nodiscard]] std::string name() const { return "Siamese(" + backbone_.name() + ", head=" + head_.name() + ")"; }
    [[nodiscard]] const Shape& image_shape() const noexcept { return image_shape_; }
    [[nodiscard]] index_t embedding_dim() const noexcept { return embedding_dim_; }

    /// left, right: [B, C, H, W]  ->  logits [B, 1]
    const Tensor<T>& logits(const Tensor<T>& left, const Tensor<T>& right) {
        check_images(left, "left");
        check_images(right, "right");
        if (!(left.shape() == right.shape())) {
            throw shape_error("Siamese: left " + left.shape().str() + " and right " + right.shape().str() +
                              " must have the same shape");
        }
        const index_t n = left.size();
        stacked_.resize(left.shape().with_batch(2 * left.dim(0)));
        std::copy_n(left.data(), n, stacked_.data());
        std::copy_n(right.data(), n, stacked_.data() + n);
        return logits_stacked(stacked_);
    }

    /// pairs: [2B, C, H, W], the B left images followed by the B right images  ->  logits [B, 1]
    const Tensor<T>& logits_stacked(const Tensor<T>& pairs) {
        check_images(pairs, "pairs");
        if (pairs.dim(0) % 2 != 0) {
            throw shape_error("Siamese: stacked pairs need an even batch (B left then B right images), got " +
                              pairs.shape().str());
        }
        // Until the head has run, there is no pass to backpropagate: a throw below (std::bad_alloc)
        // must not leave backward the caches of the last one.
        backward_ready_ = false;
        embedded_ = 0;  // the backbone's cache now belongs to this pass
        const Tensor<T>& e = backbone_.forward(pairs);
        const index_t b = pairs.dim(0) / 2;
        const Tensor<T>& z = head_logits_impl(e.data(), e.data() + b * embedding_dim_, b);
        backward_ready_ = true;
        return z;
    }

    /// Logits from embeddings computed earlier by embed(): e_left, e_right [B, D] -> [B, 1].
    /// Evaluation embeds each image once and scores many pairs this way.
    const Tensor<T>& logits_from_embeddings(const Tensor<T>& e_left, const Tensor<T>& e_right) {
        const Shape want{e_left.rank() == 2 ? e_left.dim(0) : 0, embedding_dim_};
        if (!(e_left.shape() == want) || !(e_right.shape() == want)) {
            throw shape_error("Siamese: expected embeddings [B, " + std::to_string(embedding_dim_) + "], got " +
                              e_left.shape().str() + " and " + e_right.shape().str());
        }
        backward_ready_ = false;  // no backbone pass to backpropagate into
        return head_logits_impl(e_left.data(), e_right.data(), e_left.dim(0));
    }

    /// Probability that each pair is the same class: sigmoid of logits, [B, 1].
    [[nodiscard]] const Tensor<T>& predict(const Tensor<T>& left, const Tensor<T>& right) {
        const Tensor<T>& z = logits(left, right);
        probabilities_.resize(z.shape());
        for (index_t i = 0; i < z.size(); ++i) probabilities_[i] = kernels::sigmoid(z[i]);
        return probabilities_;
    }

    /// The backbone alone: images [N, C, H, W] -> embeddings [N, D].
    /// backward_embeddings may follow, for losses on embeddings (contrastive, triplet).
    const Tensor<T>& embed(const Tensor<T>& images) {
        check_images(images, "images");
        backward_ready_ = false;
        embedded_ = 0;
        const Tensor<T>& e = backbone_.forward(images);
        embedded_ = images.dim(0);
        return e;
    }

    /// Backpropagates dL/dembeddings [N, D] of the last embed() call through the backbone
    /// into its parameters' gradients (accumulating); the head is not involved.
    void backward_embeddings(const Tensor<T>& grad_embeddings) {
        if (embedded_ == 0) {
            throw std::logic_error("Siamese: backward_embeddings needs a preceding embed(), with no logits() since");
        }
        if (!(grad_embeddings.shape() == Shape{embedded_, embedding_dim_})) {
            throw shape_error("Siamese: expected embedding gradients " + Shape{embedded_, embedding_dim_}.str() +
                              " like the last embed(), got " + grad_embeddings.shape().str());
        }
        backbone_.backward(grad_embeddings);
    }

    /// Backpropagates dL/dlogits [B, 1] of the last logits() call into every parameter's
    /// gradient (accumulating, like every layer).
    void backward(const Tensor<T>& grad_logits) {
        if (!backward_ready_) {
            throw std::logic_error("Siamese: backward needs a preceding logits()/predict() on images");
        }
        if (!(grad_logits.shape() == Shape{diff_.dim(0), 1})) {
            throw shape_error("Siamese: expected logit gradients " + Shape{diff_.dim(0), 1}.str() +
                              " like the last logits(), got " + grad_logits.shape().str());
        }
        const Tensor<T>& grad_diff = head_.backward(grad_logits);
        const index_t b = grad_diff.dim(0), d = embedding_dim_;
        grad_embeddings_.resize(Shape{2 * b, d});
        T* top = grad_embeddings_.data();
        T* bottom = top + b * d;
        // d|l - r|/dl = sign(l - r), d|l - r|/dr = -sign(l - r)
        for (index_t i = 0; i < b * d; ++i) {
            const T g = sign_[i] * grad_diff[i];
            top[i] = g;
            bottom[i] = -g;
        }
        backbone_.backward(grad_embeddings_);
    }

    /// Backbone parameters ("backbone.*") then the head's ("head.weight", "head.bias").
    [[nodiscard]] ParamList<T> params() {
        ParamList<T> out;
        append_params(out, backbone_.params(), "backbone");
        append_params(out, head_.params(), "head");
        return out;
    }

    /// The shared backbone, which embeds both images of a pair.
    [[nodiscard]] B& backbone() noexcept { return backbone_; }
    [[nodiscard]] const B& backbone() const noexcept { return backbone_; }
    /// The head, Linear(D, 1): its output on |e_left - e_right| is the pair's logit.
    [[nodiscard]] Linear<T>& head() noexcept { return head_; }
    [[nodiscard]] const Linear<T>& head() const noexcept { return head_; }

private:
    static index_t embedding_dim_of(const B& backbone, const Shape& image) {
        if (image.rank() != 3) {
            throw shape_error("Siamese: image_shape must be [C, H, W], got " + image.str());
        }
        const Shape batch{1, image[0], image[1], image[2]};
        Shape out;
        try {
            out = backbone.output_shape(batch);
        } catch (const shape_error& e) {
            // The layer's message names neither the model nor image_shape: add both.
            throw shape_error("Siamese: the backbone does not take images of image_shape " + image.str() + ": " +
                              e.what());
        }
        if (out.rank() != 2) {
            throw shape_error("Siamese: the backbone must output embeddings [N, D], but maps " + batch.str() + " to " +
                              out.str());
        }
        return out[1];
    }

    void check_images(const Tensor<T>& x, const char* what) const {
        const bool ok = x.rank() == 4 && x.dim(0) >= 1 && x.dim(1) == image_shape_[0] && x.dim(2) == image_shape_[1] &&
                        x.dim(3) == image_shape_[2];
        if (!ok) {
            throw shape_error(std::string("Siamese: expected ") + what + " [N, " + std::to_string(image_shape_[0]) +
                              ", " + std::to_string(image_shape_[1]) + ", " + std::to_string(image_shape_[2]) +
                              "], got " + x.shape().str());
        }
    }

    const Tensor<T>& head_logits_impl(const T* left, const T* right, index_t b) {
        const index_t d = embedding_dim_;
        diff_.resize(Shape{b, d});
        sign_.resize(Shape{b, d});
        for (index_t i = 0; i < b * d; ++i) {
            const T delta = left[i] - right[i];
            diff_[i] = std::abs(delta);
            sign_[i] = delta > 0 ? T(1) : (delta < 0 ? T(-1) : T(0));
        }
        return head_.forward(diff_);
    }

    B backbone_;
    Shape image_shape_;
    index_t embedding_dim_;
    Linear<T> head_;
    Tensor<T> stacked_, diff_, sign_, grad_embeddings_, probabilities_;
    bool backward_ready_ = false;
    index_t embedded_ = 0;  // images in the last embed(); 0 when the backbone last ran for logits
};

}  // namespace siamese
