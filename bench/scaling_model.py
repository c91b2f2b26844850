#!/usr/bin/env python3
"""scaling_model.py - the communication/compute model of docs/SCALING.md: one iteration of
Gram-matching texture synthesis (forward to the deepest style layer, backward to the image,
one L-BFGS step) on VGG-19 with the image split by rows over P ranks.

Per conv layer (3x3, pad 1, stride 1), per rank with interior neighbours:
  forward halo   = 2 sides * 1 row * W_l * C_in  * 4 bytes   (rows needed from neighbours)
  backward halo  = 2 sides * 1 row * W_l * C_out * 4 bytes   (grad_output rows)
  (weights are fixed in synthesis: no weight-gradient reduction)
Per Gram (style) layer: MPI_Allreduce of the float64 partial sums, 8 * C^2 bytes (+ the count).
Pooling 2x2 needs no halo when the row split is even per rank.
L-BFGS (history m, 10 as gc_synth): ~2m + 6 dot products per iteration, one 8-byte allreduce
each (latency); its state, (2m + 4) float64 vectors of the image's size, splits with the rows.
Compute per rank: conv fwd + bwd_input = 2 * (2 * C_in * C_out * 9 * H_l * W_l) / P flops;
Gram fwd + bwd = (C^2 * HW + 2 * C^2 * HW) / P flops (symmetric forward).
Time model: bytes / bandwidth + messages * latency; allreduce of n bytes over P ranks:
2 * log2(P) * latency + 2 * n / bandwidth (recursive doubling / ring, large n).
"""
import math
import sys

VGG = [  # (name, C_in, C_out, scale divisor) up to relu5_1; pools between blocks
    ("conv1_1", 3, 64, 1), ("conv1_2", 64, 64, 1),
    ("conv2_1", 64, 128, 2), ("conv2_2", 128, 128, 2),
    ("conv3_1", 128, 256, 4), ("conv3_2", 256, 256, 4), ("conv3_3", 256, 256, 4),
    ("conv3_4", 256, 256, 4),
    ("conv4_1", 256, 512, 8), ("conv4_2", 512, 512, 8), ("conv4_3", 512, 512, 8),
    ("conv4_4", 512, 512, 8),
    ("conv5_1", 512, 512, 16),
]
STYLE = {"conv1_1": 64, "conv2_1": 128, "conv3_1": 256, "conv4_1": 512, "conv5_1": 512}


def model(size, P, flops_per_s, bw, lat, lbfgs_m=10):
    halo_b = 0.0
    halo_msgs = 0
    conv_flops = 0.0
    gram_flops = 0.0
    gram_b = 0.0
    gram_t = 0.0
    for name, cin, cout, div in VGG:
        h = w = size // div
        halo_b += 2 * w * cin * 4 + 2 * w * cout * 4
        halo_msgs += 4
        conv_flops += 2 * (2.0 * cin * cout * 9 * h * w) / P
        if name in STYLE:
            c = STYLE[name]
            gram_flops += 3.0 * c * c * h * w / P
            n = 8 * c * c
            gram_b += n
            gram_t += 2 * math.log2(P) * lat + 2 * n / bw if P > 1 else 0
    if P == 1:
        halo_b = 0.0
    act_b = sum(cout * (size // div) ** 2 * 4 for _, _, cout, div in VGG) / P
    halo_t = halo_b / bw + halo_msgs * lat if P > 1 else 0
    dots = 2 * lbfgs_m + 6
    dot_t = dots * 2 * math.log2(P) * lat if P > 1 else 0
    compute_t = (conv_flops + gram_flops) / flops_per_s
    comm_t = halo_t + gram_t + dot_t
    return dict(P=P, act_GB=act_b / 2**30, lbfgs_GB=(2 * lbfgs_m + 4) * 3 * size * size * 8 / P / 2**30,
                halo_MB=halo_b / 2**20, gram_MB=gram_b / 2**20, dots=dots,
                compute_s=compute_t, halo_s=halo_t, gram_s=gram_t, dot_s=dot_t,
                comm_frac=comm_t / (comm_t + compute_t) if P > 1 else 0.0,
                rows_conv5=size // 16 / P)


def main():
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 4096
    # one node: 1 TFLOP/s sustained float32 conv; network 10 GB/s, 2 us latency (100 Gb/s IB)
    flops, bw, lat = 1.0e12, 10e9, 2e-6
    print(f"image {size}x{size}, VGG-19 to conv5_1, node {flops/1e12:.1f} TFLOP/s, "
          f"{bw/1e9:.0f} GB/s, {lat*1e6:.0f} us")
    print("| P | rows/rank at conv5 | activations GB/rank | L-BFGS state GB/rank | halo MB/iter "
          "| Gram allreduce MB | L-BFGS dots | compute s | halo s | Gram s | dots s | comm share |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for P in (1, 2, 4, 8, 16, 32, 64):
        r = model(size, P, flops, bw, lat)
        print(f"| {P} | {r['rows_conv5']:.0f} | {r['act_GB']:.2f} | {r['lbfgs_GB']:.2f} | {r['halo_MB']:.1f} | {r['gram_MB']:.1f} | "
              f"{r['dots']} | {r['compute_s']:.3f} | {r['halo_s']*1e3:.2f} ms | "
              f"{r['gram_s']*1e3:.2f} ms | {r['dot_s']*1e3:.2f} ms | {100*r['comm_frac']:.1f}% |")


if __name__ == "__main__":
    main()
