// SPDX-License-Identifier: MIT
// Forward and gradient parity with PyTorch on the tutorial network. The fixture
// (tests/data/pytorch_parity.bin) holds PyTorch's weights, a batch of 4 pairs, and the embeddings,
// logits, BCE loss and every parameter gradient PyTorch computed in float64; it is written by
// scripts/make_parity_fixture.py, so this test needs no PyTorch.
#include "test_util.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

using namespace siamese;

namespace {

struct FixtureTensor {
    std::vector<index_t> dims;
    std::vector<float> values;
};

std::uint32_t read_u32(std::istream& in) {
    unsigned char b[4];
    in.read(reinterpret_cast<char*>(b), 4);
    REQUIRE(in.good());
    return std::uint32_t(b[0]) | std::uint32_t(b[1]) << 8 | std::uint32_t(b[2]) << 16 | std::uint32_t(b[3]) << 24;
}

std::map<std::string, FixtureTensor> load_fixture() {
    const char* dir = std::getenv("SIAMESE_TEST_DATA");
    const std::string path = std::string(dir ? dir : "tests/data") + "/pytorch_parity.bin";
    std::ifstream in(path, std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "cannot open " << path);
    char magic[8];
    in.read(magic, 8);
    REQUIRE(std::memcmp(magic, "SIAMPAR1", 8) == 0);
    std::map<std::string, FixtureTensor> out;
    const std::uint32_t count = read_u32(in);
    for (std::uint32_t k = 0; k < count; ++k) {
        std::string name(read_u32(in), '\0');
        in.read(name.data(), static_cast<std::streamsize>(name.size()));
        FixtureTensor t;
        const std::uint32_t rank = read_u32(in);
        index_t n = 1;
        for (std::uint32_t r = 0; r < rank; ++r) {
            t.dims.push_back(read_u32(in));
            n *= t.dims.back();
        }
        t.values.resize(static_cast<std::size_t>(n));
        in.read(reinterpret_cast<char*>(t.values.data()), static_cast<std::streamsize>(n * 4));  // little-endian host
        REQUIRE(in.good());
        out[name] = std::move(t);
    }
    return out;
}

template <class T>
Tensor<T> to_tensor(const FixtureTensor& f) {
    Shape s;
    switch (f.dims.size()) {
        case 1:
            s = Shape{f.dims[0]};
            break;
        case 2:
            s = Shape{f.dims[0], f.dims[1]};
            break;
        case 4:
            s = Shape{f.dims[0], f.dims[1], f.dims[2], f.dims[3]};
            break;
        default:
            FAIL("unexpected rank");
    }
    Tensor<T> t(s);
    for (index_t i = 0; i < t.size(); ++i) t[i] = static_cast<T>(f.values[static_cast<std::size_t>(i)]);
    return t;
}

/// Largest relative difference; denominators have a floor of `floor` times the tensor's largest
/// magnitude (at least `floor`), so exact zeros and cancellation residues compare absolutely.
/// (fc2.bias's gradient is exactly zero: its contributions from e_left and e_right cancel in
/// |e_left - e_right|.)
template <class T>
double parity_error(const Tensor<T>& ours, const FixtureTensor& expected, double floor) {
    REQUIRE(static_cast<std::size_t>(ours.size()) == expected.values.size());
    double scale = 0;
    for (float v : expected.values) scale = std::max(scale, std::abs(static_cast<double>(v)));
    double worst = 0;
    for (index_t i = 0; i < ours.size(); ++i) {
        const double e = expected.values[static_cast<std::size_t>(i)], a = static_cast<double>(ours[i]);
        worst = std::max(worst, std::abs(a - e) / std::max({std::abs(e), floor * scale, floor}));
    }
    return worst;
}

template <class T>
void check_parity(double tolerance, double floor) {
    const auto fixture = load_fixture();
    Rng rng(0);
    Siamese model(make_seed_cnn<T>(rng), Shape{1, 28, 28}, rng);
    const char* names[] = {"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",  "fc1.weight",
                           "fc1.bias",     "fc2.weight", "fc2.bias",     "head.weight", "head.bias"};
    const auto params = model.params();
    REQUIRE(params.size() == 10);
    for (std::size_t k = 0; k < params.size(); ++k) {
        const Tensor<T> w = to_tensor<T>(fixture.at(names[k]));
        REQUIRE_MESSAGE(w.shape() == params[k].value->shape(),
                        names[k] << ": PyTorch " << w.shape().str() << " vs ours " << params[k].value->shape().str());
        *params[k].value = w;
    }
    const Tensor<T> left = to_tensor<T>(fixture.at("left"));
    const Tensor<T> right = to_tensor<T>(fixture.at("right"));
    std::vector<T> same;
    for (float v : fixture.at("same").values) same.push_back(static_cast<T>(v));

    CHECK(parity_error(model.embed(left), fixture.at("e_left"), floor) <= tolerance);
    CHECK(parity_error(model.embed(right), fixture.at("e_right"), floor) <= tolerance);

    BceWithLogits<T> loss;
    zero_grad(params);
    const Tensor<T> logits = model.logits(left, right);
    Tensor<T> loss_value(Shape{1}, loss.forward(logits, same));
    model.backward(loss.backward());
    CHECK(parity_error(logits, fixture.at("logits"), floor) <= tolerance);
    CHECK(parity_error(model.predict(left, right), fixture.at("prob"), floor) <= tolerance);
    CHECK(parity_error(loss_value, fixture.at("loss"), floor) <= tolerance);
    for (std::size_t k = 0; k < params.size(); ++k) {
        const double error = parity_error(*params[k].grad, fixture.at(std::string("grad.") + names[k]), floor);
        INFO("gradient of " << std::string(names[k]) << ": relative error " << error);
        CHECK(error <= tolerance);
    }
}

}  // namespace

TEST_CASE("parity with PyTorch, double: embeddings, logits, loss and every gradient within 1e-5") {
    check_parity<double>(1e-5, 1e-7);
}

TEST_CASE("parity with PyTorch, float (the training type): within 1e-3 of each tensor's scale") {
    // Raw 0..255 pixels make float32 sums of large, cancelling terms: compare against the scale.
    check_parity<float>(1e-3, 1.0);
}
