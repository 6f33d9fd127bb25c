// Node and toolbar icons: a few stroked 24x24 glyphs named like the node types' `icon`
// (lucide names). Unknown names get a neutral square, so new node types still render.
import type { ReactNode } from 'react';

const GLYPHS: Record<string, ReactNode> = {
  play: <path d="M7 4l13 8-13 8z" />,
  webhook: (
    <>
      <circle cx="6" cy="17" r="3" />
      <circle cx="18" cy="17" r="3" />
      <circle cx="12" cy="6" r="3" />
      <path d="M9 17h6M7.5 14.5l3-6M16.5 14.5l-3-6" />
    </>
  ),
  'calendar-clock': (
    <>
      <rect x="3" y="5" width="14" height="14" rx="2" />
      <path d="M3 9h14M7 3v4M13 3v4" />
      <circle cx="18" cy="17" r="4" />
      <path d="M18 15.5V17l1 1" />
    </>
  ),
  'git-branch': (
    <>
      <circle cx="6" cy="5" r="2" />
      <circle cx="6" cy="19" r="2" />
      <circle cx="18" cy="8" r="2" />
      <path d="M6 7v10M18 10c0 4-6 4-11 8" />
    </>
  ),
  split: <path d="M4 12h6l4-6h6M10 12l4 6h6M17 3l3 3-3 3M17 15l3 3-3 3" />,
  'pen-line': <path d="M4 20h16M14 5l4 4L8 19H4v-4z" />,
  hourglass: <path d="M6 3h12M6 21h12M7 3c0 6 10 6 10 9s-10 3-10 9M17 3c0 6-10 6-10 9s10 3 10 9" />,
  globe: (
    <>
      <circle cx="12" cy="12" r="9" />
      <path d="M3 12h18M12 3c3 3 3 15 0 18M12 3c-3 3-3 15 0 18" />
    </>
  ),
  code: <path d="M9 7l-5 5 5 5M15 7l5 5-5 5" />,
  undo: <path d="M9 14L4 9l5-5M4 9h11a5 5 0 010 10h-3" />,
  redo: <path d="M15 14l5-5-5-5M20 9H9a5 5 0 000 10h3" />,
  layout: (
    <>
      <rect x="3" y="4" width="6" height="5" rx="1" />
      <rect x="15" y="4" width="6" height="5" rx="1" />
      <rect x="15" y="15" width="6" height="5" rx="1" />
      <path d="M9 6.5h6M12 6.5v11h3" />
    </>
  ),
  note: <path d="M5 4h14v10l-5 6H5zM14 20v-6h5" />,
  trash: <path d="M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13" />,
  copy: (
    <>
      <rect x="8" y="8" width="12" height="12" rx="2" />
      <path d="M16 8V4H4v12h4" />
    </>
  ),
  download: <path d="M12 4v11M7 10l5 5 5-5M5 20h14" />,
  upload: <path d="M12 20V9M7 14l5-5 5 5M5 4h14" />,
  plus: <path d="M12 5v14M5 12h14" />,
  close: <path d="M6 6l12 12M18 6L6 18" />,
  search: (
    <>
      <circle cx="11" cy="11" r="6" />
      <path d="M20 20l-4.5-4.5" />
    </>
  ),
  fx: <path d="M10 4c-2 0-3 1-3 3v13M4 10h7M13 10l7 8M20 10l-7 8" />,
  warning: <path d="M12 3l10 18H2zM12 10v5M12 18v.5" />,
  chart: <path d="M4 20h16M7 16v-5M12 16V6M17 16v-8" />,
};

export function Icon({ name, size = 18, label }: { name: string; size?: number; label?: string }) {
  const glyph = GLYPHS[name] ?? <rect x="5" y="5" width="14" height="14" rx="3" />;
  return (
    <svg
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.8"
      strokeLinecap="round"
      strokeLinejoin="round"
      role={label ? 'img' : undefined}
      aria-label={label}
      aria-hidden={label ? undefined : true}
      focusable="false"
    >
      {glyph}
    </svg>
  );
}
