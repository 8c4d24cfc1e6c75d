"""Input-pipeline benchmark, the PyTorch side and the shared inputs (run by scripts/bench/data.sh).

    prepare DIR [--count 48] [--encode-count 8]
        Real photographs (scikit-learn load_sample_images: china, flower; scikit-image data: astronaut,
        coffee, chelsea, rocket, camera), cut at random and resized with Pillow LANCZOS to mixed sizes
        (short side 256-720, aspect 1:1 to 1:1.67, landscape and portrait), saved as JPEG quality 90
        (every 8th as PNG) in DIR/images/class<k>/; the first M JPEGs also in DIR/encode/class<k>/.
        A randomly initialised SD-VAE (diffusers AutoencoderKL with the sd-vae-ft-mse config:
        block_out_channels 128/256/512/512, 2 layers per block, 4 latent channels) saved by diffusers in
        DIR/vae. Nothing is downloaded. Prints a JSON summary of the image sizes.
    decode DIR --image-size S [--passes 5] [--workers 0]
        torchvision ImageFolder + the official center_crop_arr (from DIT_REPO/train.py): one untimed
        warm-up pass, then P timed passes over DIR/images; in-process with --workers 0, else a DataLoader
        with that many worker processes (persistent, batch 16). Prints JSON (images/s per pass).
    encode DIR --image-size S --batch B --threads T [--repeats 2]
        ToTensor + Normalize(0.5, 0.5) of the center_crop_arr crops of DIR/encode, then diffusers
        AutoencoderKL.encode (CPU f32, torch.set_num_threads(T), no_grad) in batches of B: one warm-up
        batch, then R timed passes. Saves latent_dist.mean / logvar to DIR/diffusers_moments.npz.
    crops DIR PREVIEW_DIR --image-size S
        Our crops (dit-extract --decode_only True --preview_dir, one PNG per image in dataset order) against
        torchvision ImageFolder + center_crop_arr on every benchmark image: how many are byte-equal.
    compare DIR CACHE
        Largest |ours - diffusers| / max |diffusers| of the mean and logvar in our cache (same crops, same
        weights): shows both sides computed the same thing.
"""
import argparse
import ast
import json
import os
import statistics
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
    from diffusers import AutoencoderKL
    from skimage import data as skdata
    from sklearn.datasets import load_sample_images
    photos = [Image.fromarray(a) for a in load_sample_images().images]
    photos += [Image.fromarray(getattr(skdata, n)()).convert("RGB") for n in ("astronaut", "coffee", "chelsea", "rocket", "camera")]
    rng = np.random.default_rng(0)
    sizes, encoded = [], 0
    for i in range(args.count):
        src = photos[i % len(photos)]
        w, h = src.size
        aspect = rng.uniform(1.0, 1.67)                      # long / short side of the file
        landscape = rng.random() < 0.7
        tw, th = (aspect, 1.0) if landscape else (1.0, aspect)
        fit = min(w / tw, h / th) * rng.uniform(0.7, 1.0)    # largest box of that aspect, 70-100 %
        cw, ch = int(tw * fit), int(th * fit)
        x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        short = int(rng.integers(256, 721))
        scale = short / min(cw, ch)
        img = src.crop((x, y, x + cw, y + ch)).resize((round(cw * scale), round(ch * scale)), Image.LANCZOS)
        png = i % 8 == 7
        sizes.append(img.size)
        into_encode = not png and encoded < args.encode_count
        encoded += into_encode
        for sub in ["images"] + (["encode"] if into_encode else []):
            folder = os.path.join(args.dir, sub, f"class{i % 4}")
            os.makedirs(folder, exist_ok=True)
            if png:
                img.save(os.path.join(folder, f"{i:05d}.png"), "PNG")
            else:
                img.save(os.path.join(folder, f"{i:05d}.JPEG"), "JPEG", quality=90)
    torch.manual_seed(0)
    vae = AutoencoderKL(in_channels=3, out_channels=3, block_out_channels=[128, 256, 512, 512], layers_per_block=2,
                        latent_channels=4, norm_num_groups=32, sample_size=256,
                        down_block_types=["DownEncoderBlock2D"] * 4, up_block_types=["UpDecoderBlock2D"] * 4)
    vae.save_pretrained(os.path.join(args.dir, "vae"))
    shorts = sorted(min(s) for s in sizes)
    pixels = sorted(s[0] * s[1] for s in sizes)
    print(json.dumps({"images": args.count, "png": sum(i % 8 == 7 for i in range(args.count)),
                      "short_side": [shorts[0], int(statistics.median(shorts)), shorts[-1]],
                      "megapixels": [round(pixels[0] / 1e6, 3), round(statistics.median(pixels) / 1e6, 3), round(pixels[-1] / 1e6, 3)],
                      "encode_images": encoded}))


def decode(args):
    from torchvision.datasets import ImageFolder
    crop = center_crop_arr_from(args.dit_repo)
    size = args.image_size
    dataset = ImageFolder(os.path.join(args.dir, "images"), transform=lambda img: np.asarray(crop(img, size)))
    if args.workers == 0:
        def one_pass():
            for i in range(len(dataset)):
                dataset[i]
    else:
        from torch.utils.data import DataLoader
        loader = DataLoader(dataset, batch_size=16, num_workers=args.workers, persistent_workers=True, collate_fn=list)

        def one_pass():
            for _ in loader:
                pass
    one_pass()  # warm-up: page cache, imports, worker start
    rates = []
    for _ in range(args.passes):
        start = time.perf_counter()
        one_pass()
        rates.append(len(dataset) / (time.perf_counter() - start))
    print(json.dumps({"images": len(dataset), "workers": args.workers, "images_per_second": rates,
                      "median_images_per_second": statistics.median(rates), "Pillow": Image.__version__}))


def encode(args):
    from diffusers import AutoencoderKL
    from torchvision import transforms
    from torchvision.datasets import ImageFolder
    torch.set_num_threads(args.threads)
    crop = center_crop_arr_from(args.dit_repo)
    normalize = transforms.Compose([transforms.ToTensor(), transforms.Normalize([0.5] * 3, [0.5] * 3, inplace=True)])
    encode_set = ImageFolder(os.path.join(args.dir, "encode"), transform=lambda img: normalize(crop(img, args.image_size)))
    x = torch.stack([encode_set[i][0] for i in range(len(encode_set))])  # [N, 3, S, S]
    vae = AutoencoderKL.from_pretrained(os.path.join(args.dir, "vae")).eval().float()
    times = []
    with torch.no_grad():
        vae.encode(x[: args.batch])  # warm-up (oneDNN primitive creation)
        for _ in range(args.repeats):
            means, logvars = [], []
            start = time.perf_counter()
            for b in range(0, len(x), args.batch):
                dist = vae.encode(x[b:b + args.batch]).latent_dist
                means.append(dist.mean)
                logvars.append(dist.logvar)
            times.append(time.perf_counter() - start)
    np.savez(os.path.join(args.dir, "diffusers_moments.npz"), mean=torch.cat(means).numpy(), logvar=torch.cat(logvars).numpy())
    print(json.dumps({"images": len(x), "batch": args.batch, "threads": torch.get_num_threads(), "seconds": times,
                      "median_seconds": statistics.median(times), "torch": torch.__version__,
                      "cpu_capability": torch.backends.cpu.get_cpu_capability()}))


def crops(args):
    from torchvision.datasets import ImageFolder
    crop = center_crop_arr_from(args.dit_repo)
    dataset = ImageFolder(os.path.join(args.dir, "images"), transform=lambda img: np.asarray(crop(img, args.image_size)))
    equal, worst = 0, 0
    for i in range(len(dataset)):
        ours = np.asarray(Image.open(os.path.join(args.cache, f"{i:06d}.png")).convert("RGB"))
        theirs = dataset[i][0]
        assert ours.shape == theirs.shape, (i, ours.shape, theirs.shape)
        equal += bool(np.array_equal(ours, theirs))
        worst = max(worst, int(np.abs(ours.astype(int) - theirs.astype(int)).max()))
    print(json.dumps({"images": len(dataset), "byte_equal_crops": equal, "max_difference": worst}))


def compare(args):
    from safetensors.numpy import load_file
    ours = load_file(args.cache)
    ref = np.load(os.path.join(args.dir, "diffusers_moments.npz"))
    out = {}
    for key in ("mean", "logvar"):
        assert ours[key].shape == ref[key].shape, (key, ours[key].shape, ref[key].shape)
        out[key] = float(np.abs(ours[key] - ref[key]).max() / np.abs(ref[key]).max())
    print(json.dumps({"relative_max_error": out}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["prepare", "decode", "encode", "crops", "compare"])
    parser.add_argument("dir")
    parser.add_argument("cache", nargs="?")
    parser.add_argument("--count", type=int, default=48)
    parser.add_argument("--encode-count", type=int, default=8)
    parser.add_argument("--image-size", type=int, default=256)
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--dit-repo", default=os.environ.get("DIT_REPO", "/root/dit-official"))
    args = parser.parse_args()
    {"prepare": prepare, "decode": decode, "encode": encode, "crops": crops, "compare": compare}[args.mode](args)
