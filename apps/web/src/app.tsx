import { useEffect, useRef, useState, type FormEvent } from 'react';
import { storeApiKey, storedApiKey } from './api-client.ts';
import { href, useRoute } from './router.ts';
import { Empty } from './components/ui.tsx';
import { CompareView } from './views/compare-view.tsx';
import { ExperimentView } from './views/experiment-view.tsx';
import { ExperimentsView } from './views/experiments-view.tsx';
import { PredictionsView } from './views/predictions-view.tsx';
import { RecordView } from './views/record-view.tsx';
import { RunView } from './views/run-view.tsx';

export function App() {
  const route = useRoute();
  const [section, idText, sub] = route.segments;
  const id = Number(idText);
  let view;
  if (!section || section === 'experiments') view = idText ? <ExperimentView key={id} id={id} /> : <ExperimentsView />;
  else if (section === 'runs' && sub === 'predictions') view = <PredictionsView runId={id} route={route} />;
  else if (section === 'runs') view = <RunView key={id} id={id} />;
  else if (section === 'records') view = <RecordView key={id} id={id} route={route} />;
  else if (section === 'compare') view = <CompareView route={route} />;
  else view = <Empty>There is no page here. Start from the experiments.</Empty>;

  // After navigation, move focus to the new page's heading so keyboard and screen-reader users land on it.
  const main = useRef<HTMLElement>(null);
  const path = route.segments.join('/');
  useEffect(() => {
    main.current?.focus({ preventScroll: true });
  }, [path]);

  return (
    <>
      <a className="skip-link" href="#main" onClick={(e) => (e.preventDefault(), main.current?.focus())}>
        Skip to content
      </a>
      <header className="top-bar">
        <a className="brand" href={href('')}>
          Leadwise
        </a>
        <nav aria-label="Main">
          <a href={href('')} aria-current={!section || section === 'experiments' ? 'page' : undefined}>
            Experiments
          </a>
          <a href={href('compare')} aria-current={section === 'compare' ? 'page' : undefined}>
            Compare
          </a>
        </nav>
        <ApiKeyForm />
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {view}
      </main>
    </>
  );
}

/** The key for launching and cancelling: typed once, kept in sessionStorage for this tab only. */
function ApiKeyForm() {
  const [saved, setSaved] = useState(storedApiKey() !== '');
  const [value, setValue] = useState('');
  function submit(event: FormEvent) {
    event.preventDefault();
    storeApiKey(value.trim());
    setSaved(value.trim() !== '');
    setValue('');
  }
  if (saved) {
    return (
      <div className="api-key">
        <span>API key set for this tab</span>{' '}
        <button type="button" onClick={() => (storeApiKey(''), setSaved(false))}>
          Forget key
        </button>
      </div>
    );
  }
  return (
    <form className="api-key" onSubmit={submit}>
      <label>
        API key <input type="password" autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} />
      </label>{' '}
      <button type="submit">Use key</button>
    </form>
  );
}
