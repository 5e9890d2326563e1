package io.panago.net.poll;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code -Dpanago.net.budget}: a count of calls, 0 for none, the default for anything else. */
class BudgetSettingTest {

    @Test
    void countsAreTakenAndAnythingElseGivesTheDefault() {
        assertEquals(FD.DEFAULT_BUDGET, FD.budget(null));
        assertEquals(FD.DEFAULT_BUDGET, FD.budget(" "));
        assertEquals(0, FD.budget("0"));
        assertEquals(64, FD.budget(" 64 "));
        assertEquals(FD.DEFAULT_BUDGET, FD.budget("-1"));
        assertEquals(FD.DEFAULT_BUDGET, FD.budget("lots"));
    }
}
