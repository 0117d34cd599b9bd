"""Issue 20's variants: captions, logos, watermarks, borders, letterboxing, screenshots, keystone.

Each transform takes a picture and returns encoded bytes, as transforms.TRANSFORMS do. Sizes are
shares of the picture (captions: of its area; borders: of each final side; screenshots: the
picture's side as a share of the frame's shorter side).
"""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps
from transforms import Transform

# Where a box goes: (x, y) of its centre as shares of the picture.
POSITIONS = {
    "top-left": (0.0, 0.0), "top": (0.5, 0.0), "top-right": (1.0, 0.0),
    "left": (0.0, 0.5), "centre": (0.5, 0.5), "right": (1.0, 0.5),
    "bottom-left": (0.0, 1.0), "bottom": (0.5, 1.0), "bottom-right": (1.0, 1.0),
}


def _jpeg(image: Image.Image, quality: int = 85) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "PNG")
    return out.getvalue()


def _box(im: Image.Image, area: float, aspect: float, where: str) -> tuple[int, int, int, int]:
    """A box of `area` (share of the picture) and width/height `aspect`, inside the picture,
    touching its edges at `where` (a small margin as apps leave)."""
    w, h = im.size
    bw = min(w, int(round(math.sqrt(area * w * h * aspect))))
    bh = min(h, int(round(area * w * h / max(1, bw))))
    cx, cy = POSITIONS[where]
    margin = int(0.01 * min(w, h))
    x = int(cx * (w - bw - 2 * margin)) + margin
    y = int(cy * (h - bh - 2 * margin)) + margin
    return x, y, x + bw, y + bh


def caption(area: float, where: str) -> Transform:
    """A white caption box with dark text ("shared via app"), as messaging apps add."""

    def apply(im: Image.Image) -> bytes:
        out = im.convert("RGB")
        draw = ImageDraw.Draw(out)
        x0, y0, x1, y1 = _box(out, area, 4.0, where)
        draw.rectangle((x0, y0, x1, y1), fill=(255, 255, 255))
        size = max(6, (y1 - y0) // 3)
        draw.text((x0 + size // 2, y0 + size), "shared via app", fill=(30, 30, 30),
                  font_size=size)
        return _jpeg(out)

    return apply


def logo(area: float, where: str) -> Transform:
    """An opaque coloured badge with a letter, as channels stamp on pictures."""

    def apply(im: Image.Image) -> bytes:
        out = im.convert("RGB")
        draw = ImageDraw.Draw(out)
        x0, y0, x1, y1 = _box(out, area, 1.0, where)
        draw.ellipse((x0, y0, x1, y1), fill=(200, 40, 40), outline=(255, 255, 255), width=3)
        draw.text(((x0 + x1) // 2, (y0 + y1) // 2), "TV", fill=(255, 255, 255),
                  font_size=max(6, (y1 - y0) // 2), anchor="mm")
        return _jpeg(out)

    return apply


def translucent(kind: str) -> Transform:
    """Semi-transparent watermarks: a badge in a corner (5% of the area, 50% opaque) or a
    diagonal line of text across the centre (40% opaque)."""

    def apply(im: Image.Image) -> bytes:
        base = im.convert("RGBA")
        layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(layer)
        if kind == "badge":
            x0, y0, x1, y1 = _box(base, 0.05, 2.0, "bottom-right")
            draw.rounded_rectangle((x0, y0, x1, y1), radius=(y1 - y0) // 4,
                                   fill=(255, 255, 255, 128))
            draw.text((x0 + 4, y0 + 2), "@sample", fill=(0, 0, 0, 128),
                      font_size=max(6, (y1 - y0) // 2))
        else:
            size = max(10, base.height // 10)
            text = Image.new("RGBA", (base.width, size * 2), (0, 0, 0, 0))
            ImageDraw.Draw(text).text((base.width // 2, size), "SAMPLE  COPY",
                                      fill=(255, 255, 255, 102), font_size=size, anchor="mm")
            text = text.rotate(25, expand=True, resample=Image.Resampling.BILINEAR)
            layer.alpha_composite(text, ((base.width - text.width) // 2,
                                         (base.height - text.height) // 2))
        return _jpeg(Image.alpha_composite(base, layer))

    return apply


def _blurred_fill(im: Image.Image, size: tuple[int, int]) -> Image.Image:
    """The picture enlarged to cover `size` and blurred: the padding social apps make."""
    cover = ImageOps.fit(im.convert("RGB"), size, Image.Resampling.BILINEAR)
    return cover.filter(ImageFilter.GaussianBlur(max(4, min(size) // 25)))


def border(share: float, fill: str) -> Transform:
    """Borders taking `share` of each final side (half on each end): uniform or blurred."""

    def apply(im: Image.Image) -> bytes:
        w, h = im.size
        size = (int(round(w / (1 - share))), int(round(h / (1 - share))))
        if fill == "blurred":
            canvas = _blurred_fill(im, size)
        else:
            canvas = Image.new("RGB", size, {"black": (0, 0, 0), "white": (255, 255, 255),
                                             "grey": (128, 128, 128)}[fill])
        canvas.paste(im.convert("RGB"), ((size[0] - w) // 2, (size[1] - h) // 2))
        return _jpeg(canvas)

    return apply


def letterbox(aspect: float, fill: str) -> Transform:
    """The picture fitted into a canvas of another aspect ratio (width/height), bars filled."""

    def apply(im: Image.Image) -> bytes:
        w, h = im.size
        if w / h > aspect:  # wider than the canvas: bars above and below
            size = (w, int(round(w / aspect)))
        else:
            size = (int(round(h * aspect)), h)
        canvas = _blurred_fill(im, size) if fill == "blurred" else Image.new("RGB", size)
        canvas.paste(im.convert("RGB"), ((size[0] - w) // 2, (size[1] - h) // 2))
        return _jpeg(canvas)

    return apply


def letterbox_share(aspect: float, w: int, h: int) -> float:
    """The bars' share of the canvas's side that gains them, for a picture of w x h."""
    return 1 - aspect * h / w if w / h > aspect else 1 - (w / h) / aspect


def _bar(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], colour, ink, text: str,
         icons: int) -> None:
    x0, y0, x1, y1 = box
    draw.rectangle(box, fill=colour)
    size = max(8, (y1 - y0) // 2)
    draw.text((x0 + size, (y0 + y1) // 2), text, fill=ink, font_size=size, anchor="lm")
    for i in range(icons):  # round icons on the right
        cx = x1 - size * (1 + 2 * i)
        cy = (y0 + y1) // 2
        r = size // 2
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=ink, width=2)


def screenshot(device: str, share: float, dark: bool = False) -> Transform:
    """The picture shown in a phone-like (portrait) or desktop-like (landscape) frame with UI
    bars, its longer fitted side at `share` of the frame's shorter side, saved as a PNG (phone
    screenshots) or JPEG (desktop captures passed on)."""

    def apply(im: Image.Image) -> bytes:
        fw, fh = (720, 1560) if device == "phone" else (1440, 900)
        bg, ink = ((18, 18, 18), (230, 230, 230)) if dark else ((250, 250, 250), (40, 40, 40))
        frame = Image.new("RGB", (fw, fh), bg)
        draw = ImageDraw.Draw(frame)
        if device == "phone":
            _bar(draw, (0, 0, fw, 50), bg, ink, "12:30", 3)  # status bar
            _bar(draw, (0, 50, fw, 150), bg, ink, "Photos", 2)  # app bar
            _bar(draw, (0, fh - 110, fw, fh), bg, ink, "", 4)  # navigation
            draw.text((30, fh - 200), "Liked by 12 people", fill=ink, font_size=28)
            top, bottom = 150, fh - 210
        else:
            _bar(draw, (0, 0, fw, 36), (60, 60, 70), (240, 240, 240), "Viewer - photo.jpg", 3)
            _bar(draw, (0, 36, fw, 76), (235, 235, 235), (40, 40, 40), "file:///photo.jpg", 2)
            _bar(draw, (0, fh - 44, fw, fh), (30, 30, 40), (240, 240, 240), "Start", 6)
            draw.rectangle((0, 76, 160, fh - 44), fill=(225, 225, 230))  # side panel
            for i in range(8):
                draw.text((16, 100 + 40 * i), f"Folder {i}", fill=(40, 40, 40), font_size=18)
            top, bottom = 76, fh - 44
        side = int(share * min(fw, fh))
        w, h = im.size
        scale = side / max(w, h) if device == "phone" else side / h
        left_edge = 0 if device == "phone" else 160
        # Never larger than the space between the bars (keeping the aspect ratio).
        scale = min(scale, (fw - left_edge) / w, (bottom - top) / h)
        pw, ph = max(8, int(w * scale)), max(8, int(h * scale))
        picture = im.convert("RGB").resize((pw, ph), Image.Resampling.LANCZOS)
        x = left_edge + (fw - left_edge - pw) // 2
        y = top + (bottom - top - ph) // 2
        frame.paste(picture, (x, y))
        return _png(frame) if device == "phone" else _jpeg(frame, 90)

    return apply


def perspective(strength: float) -> Transform:
    """A mild keystone, as a photo of a screen taken slightly off-axis: the top edge pulled in
    by `strength` of the width on each side."""

    def apply(im: Image.Image) -> bytes:
        w, h = im.size
        d = strength * w
        # PERSPECTIVE maps output (x, y) to input; solve for the 8 coefficients.
        src = [(0, 0), (w, 0), (w, h), (0, h)]
        dst = [(d, 0), (w - d, 0), (w, h), (0, h)]
        rows, rhs = [], []
        for (x, y), (u, v) in zip(dst, src, strict=True):
            rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
            rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
            rhs += [u, v]
        coeffs = np.linalg.solve(np.array(rows, float), np.array(rhs, float))
        out = im.convert("RGB").transform((w, h), Image.Transform.PERSPECTIVE, tuple(coeffs),
                                          Image.Resampling.BILINEAR)
        return _jpeg(out)

    return apply


CAPTION_GOAL = "caption/watermark<=5%"
BORDER_GOAL = "border/letterbox<=25%"
SCREEN_GOAL = "screenshot>=50%"


def _wide() -> dict[str, tuple[str, Transform]]:
    out: dict[str, tuple[str, Transform]] = {}
    for area in (0.01, 0.03, 0.05, 0.10):
        group = CAPTION_GOAL if area <= 0.05 else "caption 10% (no goal)"
        for where in POSITIONS:
            out[f"caption {area:.0%} {where}"] = (group, caption(area, where))
    for area in (0.02, 0.05):
        for where in ("top-left", "top-right", "bottom-left", "bottom-right"):
            out[f"logo {area:.0%} {where}"] = (CAPTION_GOAL, logo(area, where))
    out["watermark badge 50%"] = (CAPTION_GOAL, translucent("badge"))
    out["watermark diagonal 40%"] = (CAPTION_GOAL, translucent("diagonal"))
    for share, fill in ((0.05, "black"), (0.10, "white"), (0.15, "grey"), (0.25, "black"),
                        (0.10, "blurred"), (0.25, "blurred")):
        out[f"border {share:.0%} {fill}"] = (BORDER_GOAL, border(share, fill))
    out["border 35% white"] = ("border>25% (no goal)", border(0.35, "white"))
    # Letterboxing a 4:3 picture: to 16:9 (bars 25% of the width), 1:1 (25% of the height);
    # to 9:16 (58%, a phone's portrait screen) has no goal.
    for name, aspect, fill in (("16:9", 16 / 9, "black"), ("1:1", 1.0, "blurred"),
                               ("16:9", 16 / 9, "blurred"), ("1:1", 1.0, "black")):
        out[f"letterbox {name} {fill}"] = ("letterbox (by share)", letterbox(aspect, fill))
    out["letterbox 9:16 black"] = ("letterbox (by share)", letterbox(9 / 16, "black"))
    for device in ("phone", "desktop"):
        for share, dark in ((0.4, False), (0.5, True), (0.7, False), (0.9, True)):
            group = SCREEN_GOAL if share >= 0.5 else "screenshot 40% (no goal)"
            theme = "dark" if dark else "light"
            out[f"screenshot {device} {share:.0%} {theme}"] = (group,
                                                               screenshot(device, share, dark))
    out["perspective 2%"] = ("perspective (no goal)", perspective(0.02))
    out["perspective 4%"] = ("perspective (no goal)", perspective(0.04))
    return out


WIDE_TRANSFORMS = _wide()
WIDE_GOALS = {CAPTION_GOAL: 0.99, BORDER_GOAL: 0.95, SCREEN_GOAL: 0.95}
