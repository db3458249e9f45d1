import { PageTitle } from '../../ui/parts';
import { FxSection } from './fx-section';
import { RateCardsSection } from './rate-cards-section';
import './admin.css';

/** Prices (rate cards per operator and model) and exchange rates, each with the time it applies from. */
export default function AdminRates() {
  return (
    <>
      <PageTitle lead="A new version applies from its start time; older versions keep pricing what happened before it.">
        Rate cards &amp; FX
      </PageTitle>
      <RateCardsSection />
      <FxSection />
    </>
  );
}
