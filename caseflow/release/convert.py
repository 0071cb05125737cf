"""An uploaded record turned into the PDF its redactions are drawn on.

The type is read from the CONTENT (``filetype``, as for the portal's uploads: the name is not
trusted): a PDF is kept as it is; a JPEG, PNG, WebP or TIFF image becomes a PDF with one page per
frame, the pixels embedded losslessly by ``img2pdf`` (each page A4, the image fitted into it); a
Word, Excel or OpenDocument text/spreadsheet file is converted by LibreOffice (``soffice --headless
--convert-to pdf``, in a temporary directory with its own profile, at most ``TIMEOUT`` seconds) when
it is installed, and refused with a clear message otherwise. Anything else is refused.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import filetype  # type: ignore[import-untyped]
import img2pdf
from PIL import Image, UnidentifiedImageError

from caseflow.portal.uploads import ALLOWED

PDF = "application/pdf"
IMAGES = ("image/jpeg", "image/png", "image/webp", "image/tiff")
_DOCX = "application/vnd.openxmlformats-officedocument"
_ODF = "application/vnd.oasis.opendocument"
OFFICE = (
    "application/msword",
    f"{_DOCX}.wordprocessingml.document",
    "application/vnd.ms-excel",
    f"{_DOCX}.spreadsheetml.sheet",
    f"{_ODF}.text",
    f"{_ODF}.spreadsheet",
)
#: media type -> the extension a file of it is given (LibreOffice picks its import filter by it)
EXTENSIONS: dict[str, str] = {PDF: "pdf", "image/tiff": "tif"} | {
    mt: ALLOWED[mt][0] for mt in (*IMAGES, *OFFICE) if mt in ALLOWED
}
#: The most pixels an upload's frames may have together (Pillow's own warning threshold).
MAX_PIXELS = Image.MAX_IMAGE_PIXELS or 89_478_485
#: Seconds LibreOffice may take for one file.
TIMEOUT = 120
#: The page an image is fitted into: A4, turned to the image's orientation.
_A4 = (img2pdf.mm_to_pt(210), img2pdf.mm_to_pt(297))
_LAYOUT = img2pdf.get_layout_fun(pagesize=_A4, fit=img2pdf.FitMode.into, auto_orient=True)

#: An image Pillow cannot read, or that img2pdf refuses (an odd colour space, an Exif rotation, ...).
_IMAGE_ERRORS: tuple[type[Exception], ...] = (
    UnidentifiedImageError,
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    img2pdf.AlphaChannelError,
    img2pdf.ExifOrientationError,
    img2pdf.ImageOpenError,
    img2pdf.JpegColorspaceError,
    img2pdf.NegativeDimensionError,
    img2pdf.PdfTooLargeError,
    img2pdf.UnsupportedColorspaceError,
)

SUPPORTED_TEXT = "支持PDF、JPEG、PNG、Word、Excel；另可接收WebP、TIFF图片和OpenDocument文本、表格文档"
NO_LIBREOFFICE = "本系统未安装LibreOffice，无法将Word/Excel文件转换为PDF；请先转换为PDF后上传"


class ConversionError(ValueError):
    """The file cannot be taken as a record: the message (Chinese) says why."""


@dataclass(frozen=True, slots=True)
class Converted:
    """The upload's media type (as its content shows) and the PDF made of it (the upload itself for
    a PDF)."""

    media_type: str
    pdf: bytes

    @property
    def extension(self) -> str:
        return EXTENSIONS.get(self.media_type, "bin")


def detect(data: bytes) -> str:
    """The media type the content shows ("" when ``filetype`` knows none)."""
    guessed = filetype.guess(data[:8192])
    return guessed.mime if guessed is not None else ""


def to_pdf(data: bytes, shown: str = "") -> Converted:
    """The PDF for the upload ``data`` (``shown``: its name, for messages); ``ConversionError``
    for a type not supported, an image that cannot be read, an office file without LibreOffice or
    one LibreOffice cannot convert."""
    media_type = detect(data)
    name = f"“{shown}”" if shown else ""
    if media_type == PDF:
        return Converted(media_type, data)
    if media_type in IMAGES:
        return Converted(media_type, image_to_pdf(data, shown))
    if media_type in OFFICE:
        return Converted(media_type, office_to_pdf(data, EXTENSIONS[media_type], shown))
    found = f"（其内容为{media_type}）" if media_type else ""
    raise ConversionError(
        f"不支持的文件类型：文件{name}{found}不能作为公开材料上传，类型按文件内容识别，与文件名无关（{SUPPORTED_TEXT}）"
    )


def image_to_pdf(data: bytes, shown: str = "") -> bytes:
    """A PDF with one page per frame of the image, its pixels embedded losslessly."""
    name = f"“{shown}”" if shown else ""
    invalid = f"文件{name}不是有效的图片文件（无法读取其图像内容），未被接收"
    try:
        with Image.open(io.BytesIO(data)) as image:
            frames = getattr(image, "n_frames", 1)
            if image.width * image.height * frames > MAX_PIXELS:
                raise ConversionError(f"图片{name}像素过多，无法处理，请缩小后重新上传")
            for frame in range(frames):  # every frame decodes: a damaged file is refused here
                image.seek(frame)
                image.load()
        if data.startswith(b"\x89PNG"):
            # every chunk and its checksum (weasyprint lets Pillow load truncated images process-wide)
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
    except Image.DecompressionBombError as exc:
        raise ConversionError(f"图片{name}像素过多，无法处理，请缩小后重新上传") from exc
    except _IMAGE_ERRORS as exc:
        raise ConversionError(invalid) from exc
    try:
        return bytes(img2pdf.convert(data, layout_fun=_LAYOUT))
    except Exception as exc:  # noqa: BLE001 - img2pdf raises bare Exception for malformed input too
        raise ConversionError(invalid) from exc


def soffice() -> str | None:
    """The LibreOffice program on ``PATH`` (``soffice`` or ``libreoffice``), or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def office_to_pdf(data: bytes, extension: str, shown: str = "", *, timeout: float = TIMEOUT) -> bytes:
    """The PDF LibreOffice makes of a Word/Excel/OpenDocument file, converted in a temporary
    directory with a profile of its own (never the user's), killed after ``timeout`` seconds."""
    program = soffice()
    if program is None:
        raise ConversionError(NO_LIBREOFFICE)
    name = f"“{shown}”" if shown else ""
    with tempfile.TemporaryDirectory(prefix="caseflow-soffice-") as tmp:
        work = Path(tmp)
        source = work / f"record.{extension}"
        source.write_bytes(data)
        (work / "out").mkdir()
        command = [
            program,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work / "out"),
            str(source),
        ]
        env = dict(os.environ, HOME=str(work))  # nothing of LibreOffice's lands in the real home
        with subprocess.Popen(  # noqa: S603 - a fixed program with our own arguments
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=work,
            env=env,
            start_new_session=True,  # its helper processes are killed with it on a timeout
        ) as process:
            try:
                process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired as exc:
                os.killpg(process.pid, signal.SIGKILL)
                process.communicate()
                raise ConversionError(
                    f"文件{name}转换为PDF超过{timeout:g}秒未完成，未被接收；请先转换为PDF后上传"
                ) from exc
        result = work / "out" / "record.pdf"
        if process.returncode != 0 or not result.is_file() or result.stat().st_size == 0:
            raise ConversionError(
                f"LibreOffice无法将文件{name}转换为PDF（文件可能已损坏），请先转换为PDF后上传"
            )
        return result.read_bytes()
