"""Input-pipeline benchmark, the PyTorch side and the shared inputs (run by scripts/bench/data.sh).

    prepare DIR --count N --encode-count M   ImageNet-like JPEGs (short side 375-500, quality 90, from the
                                             scikit-learn / scikit-image photographs, random crops and sizes)
                                             in DIR/images/<class>/, the first M also in DIR/encode/<class>/,
                                             and a randomly initialised SD-VAE (sd-vae-ft-mse config) in DIR/vae
    pytorch DIR --image-size S --batch B     torchvision ImageFolder + official center_crop_arr (decode +
                                             crop, images/s), then ToTensor + Normalize + diffusers
                                             AutoencoderKL.encode on DIR/encode (seconds); prints JSON
"""
import argparse
import ast
import json
import os
import time

import numpy as np
import torch
from PIL import Image


def center_crop_arr_from(repo):
    source = open(os.path.join(repo, "train.py")).read()
    node = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == "center_crop_arr")
    namespace = {"Image": Image, "np": np}
    exec(compile(ast.Module(body=[node], type_ignores=[]), "train.py", "exec"), namespace)
    return namespace["center_crop_arr"]


def prepare(args):
    from skimage import data as skdata
    from sklearn.datasets import load_sample_images
    from diffusers import AutoencoderKL
    photos = [Image.fromarray(a) for a in load_sample_images().images]
    photos += [Image.fromarray(getattr(skdata, n)()) for n in ("astronaut", "coffee", "chelsea", "rocket")]
    rng = np.random.default_rng(0)
    for i in range(args.count):
        src = photos[i % len(photos)]
        w, h = src.size
        cw, ch = int(w * rng.uniform(0.6, 1.0)), int(h * rng.uniform(0.6, 1.0))
        x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        short = int(rng.integers(375, 501))
        scale = short / min(cw, ch)
        img = src.crop((x, y, x + cw, y + ch)).resize((round(cw * scale), round(ch * scale)), Image.LANCZOS)
        for sub in ["images"] + (["encode"] if i < args.encode_count else []):
            folder = os.path.join(args.dir, sub, f"class{i % 4}")
            os.makedirs(folder, exist_ok=True)
            img.save(os.path.join(folder, f"{i:05d}.JPEG"), "JPEG", quality=90)
    torch.manual_seed(0)
    vae = AutoencoderKL(block_out_channels=[128, 256, 512, 512], layers_per_block=2, latent_channels=4, sample_size=256,
                        down_block_types=["DownEncoderBlock2D"] * 4, up_block_types=["UpDecoderBlock2D"] * 4)
    vae.save_pretrained(os.path.join(args.dir, "vae"))


def pytorch(args):
    from diffusers import AutoencoderKL
    from torchvision import transforms
    from torchvision.datasets import ImageFolder
    torch.set_num_threads(args.threads)
    crop = center_crop_arr_from(args.dit_repo)
    size = args.image_size
    dataset = ImageFolder(os.path.join(args.dir, "images"), transform=lambda img: crop(img, size))
    start = time.perf_counter()
    for i in range(len(dataset)):
        dataset[i]
    decode = time.perf_counter() - start
    normalize = transforms.Compose([transforms.ToTensor(), transforms.Normalize([0.5] * 3, [0.5] * 3, inplace=True)])
    encode_set = ImageFolder(os.path.join(args.dir, "encode"), transform=lambda img: normalize(crop(img, size)))
    x = torch.stack([encode_set[i][0] for i in range(len(encode_set))])
    vae = AutoencoderKL.from_pretrained(os.path.join(args.dir, "vae")).eval().float()
    with torch.no_grad():
        vae.encode(x[: args.batch])  # warm-up
        start = time.perf_counter()
        for b in range(0, len(x), args.batch):
            vae.encode(x[b:b + args.batch]).latent_dist
        encode = time.perf_counter() - start
    print(json.dumps({"images": len(dataset), "decode_crop_seconds": decode, "decode_crop_images_per_second": len(dataset) / decode,
                      "encode_images": len(x), "encode_seconds": encode, "threads": args.threads, "torch": torch.__version__,
                      "Pillow": Image.__version__}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["prepare", "pytorch"])
    parser.add_argument("dir")
    parser.add_argument("--count", type=int, default=400)
    parser.add_argument("--encode-count", type=int, default=8)
    parser.add_argument("--image-size", type=int, default=256)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--dit-repo", default=os.environ.get("DIT_REPO", "/root/dit-official"))
    args = parser.parse_args()
    prepare(args) if args.mode == "prepare" else pytorch(args)
