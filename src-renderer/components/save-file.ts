/** Saves text as a file through the browser's download (a Save dialog in the desktop app). */
export function saveTextFile(filename: string, text: string, type = 'text/plain'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
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
