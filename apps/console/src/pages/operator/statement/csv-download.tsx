import { useMutation } from '@tanstack/react-query';
import { api } from '../../../api/client';
import { ErrorBanner } from '../../../ui/error-banner';
import { csvFilename } from '../dispute-form';

/** The statement's lines as CSV (the API renders it), saved as a file named after the statement. */
export function CsvDownload({ statementId }: { statementId: string }) {
  const download = useMutation({
    mutationFn: async () => {
      const { csv } = await api.settlement.get.query({ statementId, format: 'csv' });
      const url = URL.createObjectURL(new Blob([csv ?? ''], { type: 'text/csv;charset=utf-8' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = csvFilename(statementId);
      document.body.append(a);
      a.click();
      a.remove();
      // the click has started the download; the object URL is no longer needed
      setTimeout(() => URL.revokeObjectURL(url), 0);
    },
  });
  return (
    <div className="row" style={{ marginTop: 12 }}>
      <button type="button" onClick={() => download.mutate()} disabled={download.isPending}>
        Download CSV
      </button>
      {download.error ? <ErrorBanner error={download.error} title="Download failed" /> : null}
    </div>
  );
}
