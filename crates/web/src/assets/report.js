// The report page: hashing a picture on the reporter's device. The
// picture is decoded by the browser, hashed by hashwatch's PDQ compiled
// to WebAssembly, and never shown or sent: only its hashes go with the
// report. Without this script (or WebAssembly) the page takes URL
// reports as before.
"use strict";

const WASM = "/ui/assets/hashwatch.wasm";

async function load() {
  const response = await fetch(WASM);
  if (!response.ok) throw new Error(`the hasher could not be loaded (${response.status})`);
  const { instance } = await WebAssembly.instantiateStreaming(response, {});
  return instance.exports;
}

// Copies bytes into the module's input buffer.
function put(hasher, bytes) {
  const at = hasher.input(bytes.length);
  new Uint8Array(hasher.memory.buffer, at, bytes.length).set(bytes);
}

function answer(hasher) {
  const bytes = new Uint8Array(hasher.memory.buffer, hasher.output(), hasher.output_len());
  return new TextDecoder().decode(bytes);
}

// RGBA pixels without colour management or premultiplied alpha, as the
// browser shows them (EXIF orientation applied: browsers offer no way
// around it).
async function pixels(file) {
  const bitmap = await createImageBitmap(file, {
    colorSpaceConversion: "none",
    premultiplyAlpha: "none",
  });
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext("2d", { willReadFrequently: true, colorSpace: "srgb" });
  context.drawImage(bitmap, 0, 0);
  let data = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
  // A 2D canvas keeps colours premultiplied by alpha, which loses the
  // colour of transparent pixels; the reference ignores alpha. WebGL can
  // hand over the colours as stored.
  if (translucent(data)) data = unpremultiplied(bitmap) ?? data;
  const size = [bitmap.width, bitmap.height];
  bitmap.close();
  return { data, width: size[0], height: size[1] };
}

function translucent(rgba) {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) return true;
  return false;
}

// The bitmap's RGBA as decoded, without premultiplication, or null when
// WebGL is not available (or the picture is larger than a texture).
function unpremultiplied(bitmap) {
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const gl = canvas.getContext("webgl", { premultipliedAlpha: false, antialias: false });
  if (!gl) return null;
  const limit = gl.getParameter(gl.MAX_TEXTURE_SIZE);
  if (bitmap.width > limit || bitmap.height > limit) return null;
  gl.pixelStorei(gl.UNPACK_PREMULTIPLY_ALPHA_WEBGL, false);
  gl.pixelStorei(gl.UNPACK_COLORSPACE_CONVERSION_WEBGL, gl.NONE);
  gl.pixelStorei(gl.UNPACK_FLIP_Y_WEBGL, false);
  const texture = gl.createTexture();
  gl.bindTexture(gl.TEXTURE_2D, texture);
  gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, bitmap);
  const framebuffer = gl.createFramebuffer();
  gl.bindFramebuffer(gl.FRAMEBUFFER, framebuffer);
  gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, texture, 0);
  if (gl.checkFramebufferStatus(gl.FRAMEBUFFER) !== gl.FRAMEBUFFER_COMPLETE) return null;
  const out = new Uint8ClampedArray(bitmap.width * bitmap.height * 4);
  gl.readPixels(0, 0, bitmap.width, bitmap.height, gl.RGBA, gl.UNSIGNED_BYTE, out);
  return gl.getError() === gl.NO_ERROR ? out : null;
}

// The file's MD5 and SHA-256, and its EXIF orientation (which the
// browser applies when it decodes; the hasher undoes it).
async function digests(hasher, file) {
  put(hasher, new Uint8Array(await file.arrayBuffer()));
  hasher.digests();
  const [md5, sha256] = answer(hasher).split(" ");
  return { md5, sha256, orientation: hasher.exif_orientation() };
}

async function pdq(hasher, file, orientation) {
  const image = await pixels(file);
  put(hasher, image.data);
  if (hasher.pdq_rgba(image.width, image.height, orientation) !== 0) throw new Error(answer(hasher));
  const [hash, quality] = answer(hasher).split(" ");
  return { pdq: hash, quality: Number(quality) };
}

async function main() {
  const section = document.getElementById("hash-picture");
  if (!section || !("WebAssembly" in window) || !("createImageBitmap" in window)) return;
  let hasher;
  try {
    hasher = await load();
  } catch (e) {
    return; // The URL form still works.
  }
  section.hidden = false;
  const status = document.getElementById("hash-status");
  const field = (name) => document.getElementById(`hash-${name}`);
  document.getElementById("picture").addEventListener("change", async (event) => {
    for (const name of ["pdq", "md5", "sha256"]) field(name).value = "";
    section.dataset.state = "hashing";
    const file = event.target.files[0];
    if (!file) {
      status.textContent = "";
      delete section.dataset.state;
      return;
    }
    status.textContent = "Computing the hashes on this device…";
    try {
      // The file's digests identify this exact file even when the
      // browser cannot decode it.
      const sums = await digests(hasher, file);
      field("md5").value = sums.md5;
      field("sha256").value = sums.sha256;
      try {
        const perceptual = await pdq(hasher, file, sums.orientation);
        field("pdq").value = perceptual.pdq;
        status.textContent = `Hashes ready (PDQ ${perceptual.pdq}, quality ${perceptual.quality}); ` +
          "they are sent with the report, the picture is not.";
        section.dataset.quality = String(perceptual.quality);
        section.dataset.state = "done";
      } catch (e) {
        status.textContent = `This browser cannot decode the picture (${e.message}); ` +
          "its MD5 and SHA-256 are sent with the report.";
        section.dataset.state = "digests";
      }
    } catch (e) {
      status.textContent = `The file could not be read (${e.message}); the report can be sent without it.`;
      section.dataset.state = "failed";
    }
  });
}

main();
