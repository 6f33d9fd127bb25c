/** One problem found in a flow, addressable by the API (400 details) and the editor (node badge). */
export interface FlowError {
  /** JSON Pointer into the flow document, e.g. `/nodes/2/params/url`. */
  path: string;
  /** Stable machine-readable code, e.g. `unknown_node_type`, `cycle`, `expression_syntax`. */
  code: string;
  message: string;
}

/** Escape one JSON Pointer segment (RFC 6901). */
export function pointerSegment(segment: string | number): string {
  return String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
}

export function pointer(...segments: (string | number)[]): string {
  return segments.map((s) => '/' + pointerSegment(s)).join('');
}
