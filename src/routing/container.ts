// Which reader a model file needs, judged from its first bytes before its name: a pickle is never opened, so
// any file that looks like one (or carries a pickle extension) is reported as such.
import { looksLikeGguf } from './gguf-header.js';

export type Container = 'safetensors' | 'gguf' | 'pickle';

/** PyTorch's pickle-based formats (ComfyUI's supported_pt_extensions minus safetensors). */
const PICKLE_EXTENSIONS = ['.ckpt', '.pt', '.pt2', '.pth', '.bin', '.pkl'];
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const PICKLE_PROTOCOL_OP = 0x80;

export function sniffContainer(firstBytes: Buffer, fileName: string): Container {
  if (looksLikeGguf(firstBytes)) return 'gguf';
  // torch.save writes a zip archive (since 1.6) or a bare pickle stream starting with PROTO 2..5.
  if (ZIP_MAGIC.every((byte, i) => firstBytes[i] === byte)) return 'pickle';
  if (firstBytes[0] === PICKLE_PROTOCOL_OP && (firstBytes[1] ?? 0) >= 2 && (firstBytes[1] ?? 0) <= 5) return 'pickle';
  const name = fileName.toLowerCase();
  if (PICKLE_EXTENSIONS.some((extension) => name.endsWith(extension))) return 'pickle';
  // Anything else goes to the safetensors reader, which says precisely what is wrong if it is not one.
  return 'safetensors';
}
