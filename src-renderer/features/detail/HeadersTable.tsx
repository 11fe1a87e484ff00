import type { HeaderPair, RawHeaderValues } from '../../../src-shared/model.js';
import { headerBytesNote, isUtf8Value, rawHeaderBytes } from './header-bytes.js';

/** A value with non-ASCII bytes shows its exact bytes on hover; one that is no valid UTF-8 is marked. */
function HeaderValue({ value, bytes }: { value: string; bytes: Uint8Array | undefined }) {
  if (!bytes) return <td>{value}</td>;
  return (
    <td title={headerBytesNote(value, bytes)} data-raw-bytes="true">
      {value}
      {!isUtf8Value(value, bytes) && <>{' '}<span className="badge warn" data-testid="header-not-utf8">not UTF-8</span></>}
    </td>
  );
}

/** Headers in wire order, duplicates and original case kept. */
export function HeadersTable({ headers, raw, testId }: { headers: HeaderPair[]; raw?: RawHeaderValues | undefined; testId: string }) {
  if (headers.length === 0) return <div className="muted small-text">none</div>;
  return (
    <table className="headers-table" data-testid={testId}>
      <tbody>
        {headers.map(([name, value], i) => (
          <tr key={`${name}-${i}`}>
            <th>{name}</th>
            <HeaderValue value={value} bytes={rawHeaderBytes(raw, i)} />
          </tr>
        ))}
      </tbody>
    </table>
  );
}
