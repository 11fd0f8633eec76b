// ComfyUI's core loader nodes: which input names a model file and the models folder (folder_paths key) it is
// looked up in. Read from ComfyUI's nodes.py and comfy_extras (INPUT_TYPES → folder_paths.get_filename_list).
// `inputs` lists the node's widgets in order, so a UI workflow's `widgets_values` array can be read by position;
// `null` marks a widget that names no model (a dtype, a type, a strength).

export interface LoaderInput {
  readonly input: string;
  readonly directory: string;
}

export interface LoaderSpec {
  /** Every widget in INPUT_TYPES order (linked inputs such as MODEL or CLIP are not widgets and not listed). */
  readonly widgets: readonly (LoaderInput | string)[];
}

const file = (input: string, directory: string): LoaderInput => ({ input, directory });

export const LOADERS: Readonly<Record<string, LoaderSpec>> = {
  CheckpointLoaderSimple: { widgets: [file('ckpt_name', 'checkpoints')] },
  CheckpointLoader: { widgets: [file('config_name', 'configs'), file('ckpt_name', 'checkpoints')] },
  unCLIPCheckpointLoader: { widgets: [file('ckpt_name', 'checkpoints')] },
  ImageOnlyCheckpointLoader: { widgets: [file('ckpt_name', 'checkpoints')] },
  // A folder holding model_index.json, not a file.
  DiffusersLoader: { widgets: [file('model_path', 'diffusers')] },
  VAELoader: { widgets: [file('vae_name', 'vae')] },
  LoraLoader: { widgets: [file('lora_name', 'loras'), 'strength_model', 'strength_clip'] },
  LoraLoaderModelOnly: { widgets: [file('lora_name', 'loras'), 'strength_model'] },
  UNETLoader: { widgets: [file('unet_name', 'diffusion_models'), 'weight_dtype'] },
  CLIPLoader: { widgets: [file('clip_name', 'text_encoders'), 'type', 'device'] },
  DualCLIPLoader: { widgets: [file('clip_name1', 'text_encoders'), file('clip_name2', 'text_encoders'), 'type', 'device'] },
  TripleCLIPLoader: {
    widgets: [file('clip_name1', 'text_encoders'), file('clip_name2', 'text_encoders'), file('clip_name3', 'text_encoders')],
  },
  QuadrupleCLIPLoader: {
    widgets: [
      file('clip_name1', 'text_encoders'),
      file('clip_name2', 'text_encoders'),
      file('clip_name3', 'text_encoders'),
      file('clip_name4', 'text_encoders'),
    ],
  },
  ControlNetLoader: { widgets: [file('control_net_name', 'controlnet')] },
  DiffControlNetLoader: { widgets: [file('control_net_name', 'controlnet')] },
  UpscaleModelLoader: { widgets: [file('model_name', 'upscale_models')] },
  CLIPVisionLoader: { widgets: [file('clip_name', 'clip_vision')] },
  StyleModelLoader: { widgets: [file('style_model_name', 'style_models')] },
  GLIGENLoader: { widgets: [file('gligen_name', 'gligen')] },
  HypernetworkLoader: { widgets: [file('hypernetwork_name', 'hypernetworks'), 'strength'] },
  PhotoMakerLoader: { widgets: [file('photomaker_model_name', 'photomaker')] },
};

/** Widget names of the core prompt nodes, so embeddings in their text are reported under the input's name. */
export const TEXT_WIDGETS: Readonly<Record<string, readonly string[]>> = {
  CLIPTextEncode: ['text'],
  CLIPTextEncodeSDXL: ['width', 'height', 'crop_w', 'crop_h', 'target_width', 'target_height', 'text_g', 'text_l'],
  CLIPTextEncodeSDXLRefiner: ['ascore', 'width', 'height', 'text'],
  CLIPTextEncodeFlux: ['clip_l', 't5xxl', 'guidance'],
  CLIPTextEncodeSD3: ['clip_l', 'clip_g', 't5xxl', 'empty_padding'],
};

/** VAELoader also offers these, built from the TAESD files in vae_approx rather than one file in vae/. */
export const VAE_LOADER_BUILTINS = new Set(['pixel_space', 'taesd', 'taesdxl', 'taesd3', 'taef1']);

/** Extensions ComfyUI loads models from (folder_paths.supported_pt_extensions, plus GGUF and configs). */
export const MODEL_FILE_EXTENSIONS = /\.(safetensors|sft|ckpt|pt|pt2|pth|bin|pkl|gguf|onnx)$/i;

/** The loader's model inputs, each with its widget position. */
export function loaderInputs(nodeType: string): readonly (LoaderInput & { readonly position: number })[] {
  const spec = LOADERS[nodeType];
  if (!spec) return [];
  return spec.widgets.flatMap((widget, position) => (typeof widget === 'string' ? [] : [{ ...widget, position }]));
}
