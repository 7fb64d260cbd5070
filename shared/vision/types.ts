/** A rectangle in pixels of the oriented original image. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One word read from the image. */
export interface RecognizedWord {
  text: string;
  /** 0–100, as the engine reports it. */
  confidence: number;
  box: Box;
}

/** What text recognition found. */
export interface RecognizedText {
  text: string;
  words: RecognizedWord[];
}

/** One object found in the image. */
export interface DetectedObject {
  /** A COCO class name for the local engine (`person`, `dog`…), the provider's name for a cloud one. */
  label: string;
  /** 0–1. */
  score: number;
  box: Box;
}
