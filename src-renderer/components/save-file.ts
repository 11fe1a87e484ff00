/** Saves bytes as a file through the browser's download (a Save dialog in the desktop app). */
export function saveBlob(filename: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.style.display = 'none';
  document.body.appendChild(link);
  link.click();
  link.remove();
  // The download has its own reference by now; give it a moment anyway.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
